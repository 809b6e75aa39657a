import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type JsonBody, type TestService } from '../support/runtime.ts';

/** A multipart upload whose parts go in exactly this order (curl keeps the order of its -F options). */
async function uploadInOrder(svc: TestService, parts: ([string, string] | ['file', Uint8Array, string])[]): Promise<{ status: number; body: JsonBody }> {
  const form = new FormData();
  for (const part of parts) {
    if (part[0] === 'file' && part[1] instanceof Uint8Array) form.append('file', new Blob([new Uint8Array(part[1])]), part[2]);
    else form.append(part[0], part[1]);
  }
  const res = await svc.call('/api/v1/documents', { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('documents: the title and tags form fields of an upload', () => {
  let svc: TestService;
  const documentCount = async () =>
    Number(
      (
        await svc.runtime.db.kysely
          .selectFrom('documents')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst()
      )?.n,
    );

  beforeAll(async () => {
    svc = await startTestService('sqlite');
  }, 120_000);
  afterAll(async () => {
    await svc?.cleanup();
  });

  it('takes title and tags given before the file part', async () => {
    const res = await uploadInOrder(svc, [
      ['title', '  季度报告 Q3 '],
      ['tags', 'finance, q3,,财务'],
      ['file', text('Revenue grew.\n'), 'q3.txt'],
    ]);
    expect(res.status).toBe(202);
    expect(res.body.document).toMatchObject({ title: '季度报告 Q3', filename: 'q3.txt', metadata: { tags: ['finance', 'q3', '财务'] } });
  });

  it('takes title and tags that come after the file part, and keeps them when read back', async () => {
    const res = await uploadInOrder(svc, [
      ['file', text('Costs fell.\n'), 'costs.txt'],
      ['title', 'Cost review'],
      ['tags', 'ops'],
      ['tags', 'costs'],
    ]);
    expect(res.status).toBe(202);
    expect(res.body.document).toMatchObject({ title: 'Cost review', metadata: { tags: ['ops', 'costs'] } });
    const stored = await (await svc.call(`/api/v1/documents/${res.body.document.id}`)).json();
    expect(stored).toMatchObject({ title: 'Cost review', metadata: { tags: ['ops', 'costs'] } });
  });

  it('uses the file name as the title when none is given', async () => {
    const res = await uploadInOrder(svc, [['file', text('Plain notes.\n'), 'notes.txt']]);
    expect(res.body.document).toMatchObject({ title: 'notes.txt', metadata: {} });
  });

  it.each([
    ['an empty title', [['title', '   ']], /title must be 1 to 500 characters/],
    ['a 501-character title', [['title', '题'.repeat(501)]], /title must be 1 to 500 characters/],
    ['a title with a control character', [['title', 'bad\u0007title']], /control characters/],
    ['a title with a bidi override', [['title', 'invoice\u202Efdp.exe']], /control characters/],
    ['a tag with a NUL', [['tags', 'ok,b\u0000ad']], /control characters/],
    ['a 101-character tag', [['tags', 'x'.repeat(101)]], /at most 100 characters/],
    ['51 tags', [['tags', Array.from({ length: 51 }, (_, i) => `t${i}`).join(',')]], /at most 50 tags/],
    ['an unknown field', [['titel', 'typo']], /unknown form field "titel"/],
  ] as [string, [string, string][], RegExp][])('refuses %s with 400 before or after the file, and keeps nothing', async (_name, fields, message) => {
    const before = await documentCount();
    for (const order of ['before', 'after'] as const) {
      const file: ['file', Uint8Array, string] = ['file', text(`content for ${order} ${_name}\n`), 'f.txt'];
      const res = await uploadInOrder(svc, order === 'before' ? [...fields, file] : [file, ...fields]);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_upload', status: 400 });
      expect(res.body.detail).toMatch(message);
      expect(await documentCount()).toBe(before);
    }
  });
});
