import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/process.ts';

const run = promisify(execFile);

/** The `process_document_upload.delay(...)` example in docs/documents.md, run exactly as written. */
describe('docs/documents.md example', () => {
  it('uploads, processes with delay() + handle.get({ timeout }) and finds similar chunks', { timeout: 120_000 }, async () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/documents.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### From code'));
    const code = /```ts(?: no-run)?\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain('processDocumentUpload.delay(');
    expect(code).toContain('handle.get({ timeout');
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-docs-example-'));
    try {
      const file = join(dir, 'example.ts');
      writeFileSync(file, (code as string).replaceAll("'./src/", `'${REPO_ROOT}/src/`));
      const { stdout } = await run(process.execPath, [file], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', AI_STACK_DATA_DIR: join(dir, 'data'), PORT: '0', LOG_LEVEL: 'silent', FILE: join(REPO_ROOT, 'README.md') },
        timeout: 110_000,
      });
      expect(stdout).toMatch(/status: 'ready'/);
      expect(stdout).toMatch(/type: 'markdown'/);
      expect(stdout).toMatch(/\d\.\d{3} AI Stack/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
