// A client generated from /docs/json (openapi-typescript + openapi-fetch) typechecks and works: every
// operation has an id, tags, a summary, its real success codes and problem+json errors.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/process.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

const exec = promisify(execFile);

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  parameters?: { in: string; name: string; required?: boolean; schema?: { default?: unknown } }[];
  responses?: Record<string, { content?: Record<string, unknown> }>;
}
type Spec = { paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  let svc: TestService;
  let spec: Spec;
  beforeAll(async () => {
    svc = await startTestService('sqlite');
    spec = (await (await svc.call('/docs/json', { key: null })).json()) as Spec;
  });
  afterAll(async () => svc.cleanup());

  const operations = (): [string, string, Operation][] =>
    Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => [method.toUpperCase(), path, op] as [string, string, Operation]),
    );

  it('gives every operation an operationId, tags, a summary and problem+json errors', () => {
    const ids = new Set<string>();
    for (const [method, path, op] of operations()) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(ids.has(op.operationId!), `${where} operationId is unique`).toBe(false);
      ids.add(op.operationId!);
      expect(op.tags?.length, where).toBeGreaterThan(0);
      expect(op.summary, where).toBeTruthy();
      const errors = Object.entries(op.responses ?? {}).filter(([code]) => /^[45]/.test(code));
      expect(errors.length, where).toBeGreaterThan(0);
      for (const [, response] of errors) expect(Object.keys(response.content ?? {}), where).toEqual(['application/problem+json']);
      for (const p of op.parameters ?? []) if (p.in === 'query' && p.schema?.default !== undefined) expect(p.required, `${where} ?${p.name}`).not.toBe(true);
    }
  });

  it('has hand-written summaries for the admin routes', () => {
    expect(spec.paths['/admin/tasks/apply/{name}']?.post?.summary).toBe('Send a task by name (Flower apply-async)');
    expect(spec.paths['/admin/keys']?.post?.summary).toMatch(/API key/);
  });

  it('lists the real success codes with response schemas', () => {
    const codes = (method: string, path: string): string[] =>
      Object.keys(spec.paths[path]?.[method] ?? {}).length ? Object.keys(spec.paths[path]![method]!.responses ?? {}).filter((c) => c.startsWith('2')) : [];
    expect(codes('post', '/api/v1/customers')).toEqual(['201']);
    expect(codes('delete', '/api/v1/customers/{id}')).toEqual(['204']);
    expect(codes('post', '/api/v1/customers/$bulk')).toEqual(['200', '207']);
    expect(codes('post', '/api/v1/$batch')).toEqual(['200']);
    expect(codes('post', '/admin/tasks/apply/{name}')).toEqual(['202']);
    expect(codes('post', '/admin/keys')).toEqual(['201']);
    for (const [method, path] of [
      ['post', '/api/v1/customers/$bulk'],
      ['post', '/api/v1/$batch'],
      ['post', '/admin/tasks/apply/{name}'],
    ] as const) {
      expect(spec.paths[path]![method]!.responses!['200'] ?? spec.paths[path]![method]!.responses!['202'], path).toHaveProperty(
        'content.application/json.schema',
      );
    }
  });

  it('generates a typed client that typechecks and calls the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-openapi-client-'));
    try {
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(join(dir, 'api.ts'), astToString(await openapiTS(spec as never)));
      writeFileSync(
        join(dir, 'client.ts'),
        `import createClient from 'openapi-fetch';
import type { paths } from './api.ts';

const client = createClient<paths>({ baseUrl: process.argv[2], headers: { authorization: \`Bearer \${process.argv[3]}\` } });
const created = await client.POST('/api/v1/customers', { body: { code: 'TYPED', name: 'Typed GmbH', country: 'DE' } });
if (!created.data) throw new Error('create failed: ' + JSON.stringify(created.error));
const id: number = created.data.id;
const { data, error } = await client.GET('/api/v1/customers/{id}', { params: { path: { id } } });
if (error) { const code: string = error.code; throw new Error(code); }
const name: string = data.name;
const missing = await client.GET('/api/v1/customers/{id}', { params: { path: { id: 999_999 } } });
const problemCode: string | undefined = missing.error?.code;
// @ts-expect-error the generated paths know which routes exist
void client.GET('/api/v1/nothing-here');
console.log(JSON.stringify({ name, problemCode }));
`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2024',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            allowImportingTsExtensions: true,
            types: ['node'],
          },
          files: ['client.ts'],
        }),
      );
      const tsc = await exec(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, timeout: 120_000 }).catch(
        (e: { stdout: string }) => ({ stdout: e.stdout }),
      );
      expect(tsc.stdout).toBe('');
      const run = await exec(process.execPath, ['client.ts', svc.baseUrl, svc.adminKey], { cwd: dir, timeout: 30_000 });
      expect(JSON.parse(run.stdout)).toEqual({ name: 'Typed GmbH', problemCode: 'not_found' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
