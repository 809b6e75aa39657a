import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { AiStackError } from '../shared/errors.ts';
import { OutageLog } from '../shared/outage-log.ts';

/** One dependency the service needs to do useful work (database, Redis, …). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

export async function healthRoutes(app: FastifyInstance, options: { checks: ReadinessCheck[]; registry: Registry }): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Each failing check's reason goes to the log, once per outage (the probe runs every few seconds); the
  // unauthenticated body names only the failing parts, never host names or a client library's error text.
  const outages = new Map(options.checks.map((c) => [c.name, new OutageLog(app.log, `readiness check "${c.name}"`)]));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    const results = await Promise.all(options.checks.map(async (c) => ({ name: c.name, error: await runCheck(c) })));
    for (const r of results) {
      if (r.error === null) outages.get(r.name)?.recovered();
      else outages.get(r.name)?.failed(new Error(r.error));
    }
    const failed = results.filter((r) => r.error !== null);
    if (failed.length > 0) {
      const issues = failed.map((f) => ({ field: f.name, message: 'not ready (details in the service log)' }));
      throw new AiStackError(`Not ready: ${failed.map((f) => f.name).join(', ')}`, { code: 'not_ready', status: 503, issues });
    }
    return { status: 'ready', checks: Object.fromEntries(results.map((r) => [r.name, 'ok'])) };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
}

/** `GET /admin/readiness`: each check with its reason, for admins (the public /readyz names only the failing parts). */
export function readinessDetailRoutes(checks: readonly ReadinessCheck[]) {
  return async (admin: FastifyInstance): Promise<void> => {
    admin.get('/readiness', { schema: { hide: true } }, async () => readinessReport(checks));
  };
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, { ok: true } | { ok: false; reason: string }>;
}

/** Every check with its reason: what `/admin/readiness` answers and `/admin/events` pushes. */
export async function readinessReport(checks: readonly ReadinessCheck[]): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map(async (c) => [c.name, await runCheck(c)] as const));
  return {
    status: results.every(([, error]) => error === null) ? 'ready' : 'not_ready',
    checks: Object.fromEntries(results.map(([name, error]) => [name, error === null ? { ok: true as const } : { ok: false as const, reason: error }])),
  };
}

async function runCheck(check: ReadinessCheck): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.check().then(() => null), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
