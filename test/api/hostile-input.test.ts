import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestResponse, type TestService } from '../support/runtime.ts';

/** JSON nested 5,000 deep in a 10 KB body: small enough to pass the body limit, deep enough to blow a recursive walker. */
// Built as text: JSON.stringify itself overflows the stack on such values.
function deeplyNested(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? '{"a":' : '[';
    close = (i % 2 === 0 ? '}' : ']') + close;
  }
  return `${open}"leaf"${close}`;
}
const deepText = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
/** A JSON text with `value` (JSON text) in place of the string "@DEEP@" in `template`. */
const withDeep = (template: unknown, depth: number) => JSON.stringify(template).replace('"@DEEP@"', deeplyNested(depth));

const document = (extra: Record<string, unknown> = {}) => ({
  title: 'T',
  filename: 'f.txt',
  media_type: 'text/plain',
  size_bytes: 1,
  sha256: 'a'.repeat(64),
  ...extra,
});

/**
 * Hostile bodies are refused at the boundary with a 400 problem+json, identically on both dialects,
 * and nothing is written: deep nesting (a stack overflow in any recursive walker) and NUL characters
 * (PostgreSQL text cannot hold them; SQLite silently can).
 */
describe.each(DIALECTS)('hostile input (%s)', (dialect) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(dialect);
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  const countDocuments = async () => (await (await svc.call('/api/v1/documents')).json()).total as number;

  async function expectBadRequest(res: TestResponse, field: RegExp) {
    const body = await res.json();
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status: 400, type: expect.stringContaining('application/problem+json') });
    expect(body.errors?.[0]?.field).toMatch(field);
    return body;
  }

  it('refuses JSON nested 5,000 deep in document metadata', async () => {
    const before = await countDocuments();
    const body = withDeep(document({ metadata: { deep: '@DEEP@' } }), 5000);
    expect(body.length).toBeLessThan(32 * 1024);
    const res = await svc.call('/api/v1/documents', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const problem = await expectBadRequest(res, /^body/);
    expect(problem.code).toBe('json_too_deep');
    expect(await countDocuments()).toBe(before);
  });

  it('refuses deep JSON on a request with an Idempotency-Key, and the key stays usable', async () => {
    const body = withDeep(document({ metadata: { deep: '@DEEP@' } }), 5000);
    const res = await svc.call('/api/v1/documents', { method: 'POST', body, headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-1' } });
    await expectBadRequest(res, /^body/);
    await expectBadRequest(
      await svc.call('/api/v1/customers', {
        method: 'POST',
        body: deepText(5000),
        headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-2' },
      }),
      /^body/,
    );
    const ok = await svc.call('/api/v1/documents', { method: 'POST', json: document(), headers: { 'idempotency-key': 'deep-1' } });
    expect(ok.status).toBe(201);
  });

  it('refuses deep JSON inside a $batch sub-request body', async () => {
    const before = await countDocuments();
    const batch = withDeep({ requests: [{ id: '1', method: 'POST', url: '/documents', body: document({ metadata: { deep: '@DEEP@' } }) }] }, 5000);
    const res = await svc.call('/api/v1/$batch', { method: 'POST', body: batch, headers: { 'content-type': 'application/json' } });
    await expectBadRequest(res, /^body/);
    expect(await countDocuments()).toBe(before);
  });

  it('accepts reasonably nested metadata', async () => {
    const res = await svc.call('/api/v1/documents', {
      method: 'POST',
      body: withDeep(document({ metadata: { nested: '@DEEP@' } }), 20),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
  });

  it('refuses a NUL character in a body string with a 400 naming the field', async () => {
    const before = await countDocuments();
    const res = await svc.call('/api/v1/documents', { method: 'POST', json: document({ title: 'bad\u0000title' }) });
    const problem = await expectBadRequest(res, /^body\/title$/);
    expect(problem.code).toBe('nul_character');
    const inMetadata = await svc.call('/api/v1/documents', { method: 'POST', json: document({ metadata: { tags: ['ok', 'x\u0000y'] } }) });
    await expectBadRequest(inMetadata, /^body\/metadata\/tags\/1$/);
    const inKey = await svc.call('/api/v1/documents', { method: 'POST', json: document({ metadata: { 'k\u0000': 1 } }) });
    await expectBadRequest(inKey, /^body\/metadata/);
    expect(await countDocuments()).toBe(before);
  });

  it('refuses a NUL character in a PATCH, a query string and a $batch sub-request', async () => {
    const created = await (await svc.call('/api/v1/customers', { method: 'POST', json: { code: 'NUL-1', name: 'n', country: 'DE' } })).json();
    await expectBadRequest(await svc.call(`/api/v1/customers/${created.id}`, { method: 'PATCH', json: { name: 'a\u0000b' } }), /^body\/name$/);
    await expectBadRequest(await svc.call('/api/v1/customers?sort=na%00me'), /^query\/sort$/);
    const batch = { requests: [{ id: '1', method: 'PATCH', url: `/customers/${created.id}`, body: { name: 'a\u0000b' } }] };
    await expectBadRequest(await svc.call('/api/v1/$batch', { method: 'POST', json: batch }), /^body\/requests\/0\/body\/name$/);
    const after = await (await svc.call(`/api/v1/customers/${created.id}`)).json();
    expect(after.name).toBe('n');
  });
});
