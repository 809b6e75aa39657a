import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { UnavailableError } from '../shared/errors.ts';

/** One dependency the service needs to do useful work (database, Redis, …). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

export async function healthRoutes(app: FastifyInstance, options: { checks: ReadinessCheck[]; registry: Registry }): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async () => {
    const results = await Promise.all(options.checks.map(async (c) => ({ name: c.name, error: await runCheck(c) })));
    const failed = results.filter((r) => r.error !== null);
    if (failed.length > 0) {
      throw new UnavailableError(`Not ready: ${failed.map((f) => `${f.name} (${f.error})`).join('; ')}`, { code: 'not_ready' });
    }
    return { status: 'ready', checks: Object.fromEntries(results.map((r) => [r.name, 'ok'])) };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
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
