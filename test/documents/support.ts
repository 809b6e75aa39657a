import { afterAll, beforeAll } from 'vitest';
import type { TestDialect } from '../support/db.ts';
import { startTestService, type JsonBody, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { corpus, type Corpus } from '../../fixtures/documents-corpus.ts';

/** Uploads like `curl -F file=@name -F title=…`: a real multipart/form-data request through fetch. */
export async function upload(
  svc: TestService,
  bytes: Uint8Array,
  filename: string,
  fields: Record<string, string> = {},
): Promise<{ status: number; body: JsonBody; location: string | null }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), filename);
  const res = await svc.call('/api/v1/documents', { method: 'POST', body: form });
  return { status: res.status, body: await res.json(), location: res.headers.get('location') };
}

/** Waits until the document leaves uploaded/processing; returns it. */
export async function settled(svc: TestService, id: number, timeoutMs = 90_000): Promise<JsonBody> {
  let doc: JsonBody;
  await eventually(
    async () => {
      doc = await (await svc.call(`/api/v1/documents/${id}`)).json();
      return doc.status === 'ready' || doc.status === 'failed';
    },
    timeoutMs,
    `document ${id} to finish processing`,
  );
  return doc;
}

export async function allChunks(svc: TestService, id: number): Promise<JsonBody[]> {
  const out: JsonBody[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await (await svc.call(`/api/v1/documents/${id}/chunks?offset=${offset}&limit=100`)).json();
    out.push(...page.data);
    if (out.length >= page.total || page.data.length === 0) return out;
  }
}

/**
 * The set-up most document tests share: the real service on `dialect` with its workers running, and the
 * generated corpus; registered as this describe block's beforeAll/afterAll. Read both inside tests.
 */
export function documentService(dialect: TestDialect = 'sqlite', env: Record<string, string> = {}): { readonly svc: TestService; readonly files: Corpus } {
  let svc: TestService | undefined;
  let files: Corpus | undefined;
  beforeAll(async () => {
    files = await corpus();
    svc = await startTestService(dialect, env);
    await svc.runtime.startBackground();
  }, 240_000);
  afterAll(async () => {
    await svc?.cleanup();
  });
  return {
    get svc() {
      return svc as TestService;
    },
    get files() {
      return files as Corpus;
    },
  };
}
