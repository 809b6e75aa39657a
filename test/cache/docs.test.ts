import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { docSamples, withSourceImports } from '../support/doc-samples.ts';
import { dropPrefix, randomPrefix } from './support.ts';

const run = promisify(execFile);
// Run from the sources here; test/package/installed.test.ts runs them all (the decorator one compiled by tsc,
// as a reader's project would) against the packed package.
const examples = docSamples('cache.md')
  .filter((s) => !s.compiled)
  .map((s) => s.code);
const keyvEntry = import.meta.resolve('keyv');
const dir = mkdtempSync(join(tmpdir(), 'ai-stack-docs-'));
const prefixes: string[] = [];

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all(prefixes.map((p) => dropPrefix(p)));
});

describe('docs/cache.md examples', () => {
  it('has examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples.map((code, i) => [i + 1, code] as const))('example %i runs and its assertions hold', async (i, code) => {
    const prefix = randomPrefix(`docs${i}`);
    prefixes.push(prefix);
    const source = withSourceImports(code).replaceAll("from 'keyv'", `from '${keyvEntry}'`).replaceAll('docs-example', prefix);
    const file = join(dir, `example-${i}.ts`);
    writeFileSync(file, source);
    const { stderr } = await run(process.execPath, [file], { timeout: 20_000 });
    expect(stderr.replace(/.*ExperimentalWarning.*\n?/g, '')).toBe('');
  });
});
