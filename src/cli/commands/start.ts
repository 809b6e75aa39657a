import { parseArgs } from 'node:util';
import { ALL_ROLES, createRuntime, parseRoles, type Role } from '../../app/index.ts';
import { ensureConsoleBuilt } from '../../console/index.ts';
import { ConfigError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import type { Command } from '../command.ts';
import { boundHeapGrowth } from '../heap.ts';
import { loadTasksOption, TASKS_OPTION, usageError } from './worker.ts';

const USAGE = `Usage: ai-stack start [--roles api,worker,scheduler] [--tasks ./my-tasks.ts]

Configured by environment variables (see README: PORT, HOST, DATABASE_URL, REDIS_URL, …).
      --roles   what this process runs (default: all three). A node without \`api\` serves only
                /healthz, /readyz and /metrics on PORT; /readyz checks what its roles need
  -A, --tasks   module(s) whose exported defineTask(…) values (and \`schedules\` array) are registered
                beside the built-in tasks: run by this process's workers, sent by name from the API`;

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the service: HTTP API, admin, workers and scheduler in one process (--tasks)',
  usage: USAGE,
  async run(args, ctx) {
    let values: { tasks?: string[]; roles?: string };
    let roles: Role[];
    try {
      ({ values } = parseArgs({ args, options: { ...TASKS_OPTION, roles: { type: 'string' } }, strict: true }));
      roles = values.roles === undefined ? [...ALL_ROLES] : parseRoles(values.roles);
    } catch (err) {
      return usageError(ctx, USAGE, (err as Error).message);
    }
    boundHeapGrowth();
    const user = await loadTasksOption(values.tasks);
    const config = ctx.loadConfig();
    if (roles.includes('api')) {
      await ensureConsoleBuilt(createLogger(config.logLevel)).catch((error: unknown) => {
        ctx.stderr.write(`web console build failed; the API still starts: ${error instanceof Error ? error.message : String(error)}\n`);
      });
    }
    const runtime = await createRuntime(config, { roles, ...(user ? { tasks: user } : {}) });
    if (runtime.bootstrapKey) {
      ctx.stdout.write(
        [
          '',
          '================================================================================',
          ' No API key existed, so a bootstrap admin key was created. It is shown only now:',
          '',
          `   ${runtime.bootstrapKey}`,
          '',
          ' Use it as "Authorization: Bearer <key>". Create scoped keys with "ai-stack keys create".',
          '================================================================================',
          '',
        ].join('\n') + '\n',
      );
    }
    const stopped = new Promise<number>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        runtime.logger.info({ signal }, 'shutting down: finishing in-flight work');
        runtime.stop().then(
          () => resolve(0),
          (error: unknown) => {
            runtime.logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'shutdown incomplete');
            resolve(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    });
    let address: string;
    try {
      address = await runtime.listen();
    } catch (error) {
      // Close what start-up opened (Redis clients, pools), or they keep the process alive after the error.
      await runtime.stop().catch(() => undefined);
      if ((error as { code?: unknown }).code === 'EADDRINUSE') {
        throw new ConfigError(`port ${config.port} on ${config.host} is already in use; stop the other process or set PORT`);
      }
      throw error;
    }
    runtime.logger.info({ address, roles, database: config.database.kind, redis: config.redis !== null }, 'AI Stack is serving');
    // Not awaited: with Redis unreachable the workers start when it is back, and the API serves meanwhile.
    runtime.startBackground().then(
      () => runtime.logger.info({ roles }, 'background roles running'),
      (error: unknown) => runtime.logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'task workers could not start'),
    );
    ctx.stdout.write(
      roles.includes('api') ? nextSteps(address, user?.tasks.map((t) => t.name) ?? []) : `AI Stack (${roles.join(', ')}) health on ${address}/readyz\n`,
    );
    const code = await stopped;
    runtime.logger.info('stopped');
    return code;
  },
};

/** Where to go once the service runs: printed after the bootstrap key, so a first-time user sees it. */
export function nextSteps(address: string, userTasks: readonly string[]): string {
  const lines = [
    `AI Stack is serving on ${address}`,
    `  API docs      ${address}/docs  (OpenAPI: ${address}/docs/json)`,
    `  task monitor  ${address}/admin/queues  (admin key; JSON API under ${address}/admin/tasks)`,
    `  health        ${address}/readyz   metrics ${address}/metrics`,
  ];
  if (userTasks.length > 0) lines.push(`  your tasks    ${userTasks.join(', ')}  (send one: ai-stack call <task> --args '{…}')`);
  return `${lines.join('\n')}\n`;
}
