import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/app/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase, type TestDialect } from './db.ts';

/** Test bodies are read loosely on purpose: assertions check their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = any;
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<JsonBody> };

export interface TestService {
  runtime: Runtime;
  baseUrl: string;
  adminKey: string;
  /** fetch against the service with the admin key (or the given key) and JSON content type. */
  call(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<TestResponse>;
  cleanup(): Promise<void>;
}

/** The real service (same composition root as `ai-stack start`) on a fresh database, listening on a free port. */
export async function startTestService(
  dialect: TestDialect,
  env: Record<string, string> = {},
  options: Omit<RuntimeOptions, 'logger'> = {},
): Promise<TestService> {
  const testDb = await openTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-svc-'));
  const base = loadConfig({ PORT: '0', AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const config: Config = { ...base, database: testDb.config };
  const runtime = await createRuntime(config, { ...options, logger: silentLogger });
  const adminKey = runtime.bootstrapKey;
  if (!adminKey) throw new Error('a fresh database must produce a bootstrap key');
  const baseUrl = (await runtime.listen()).replace('[::1]', '127.0.0.1');
  return {
    runtime,
    baseUrl,
    adminKey,
    call(path, init = {}) {
      const { key = adminKey, json, headers, ...rest } = init;
      const merged = new Headers(headers);
      if (key !== null && !merged.has('authorization')) merged.set('authorization', `Bearer ${key}`);
      if (json !== undefined) merged.set('content-type', 'application/json');
      return fetch(baseUrl + path, { ...rest, headers: merged, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    async cleanup() {
      await runtime.stop();
      await testDb.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
