import { parseArgs } from 'node:util';
import { createRuntime } from '../../app/index.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the service: HTTP API, admin, workers and scheduler in one process',
  usage: 'Usage: ai-stack start\n\nConfigured by environment variables (see README: PORT, HOST, DATABASE_URL, REDIS_URL, …).',
  async run(args, ctx) {
    parseArgs({ args, options: {}, strict: true });
    const config = ctx.loadConfig();
    const runtime = await createRuntime(config);
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
        runtime.stop().then(() => resolve(0), (error: unknown) => {
          runtime.logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'shutdown incomplete');
          resolve(1);
        });
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
    runtime.logger.info({ address, database: config.database.kind, redis: config.redis !== null }, 'AI Stack is serving');
    // Not awaited: with Redis unreachable the workers start when it is back, and the API serves meanwhile.
    runtime.startBackground().then(
      () => runtime.logger.info('task workers and scheduler running'),
      (error: unknown) => runtime.logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'task workers could not start'),
    );
    const code = await stopped;
    runtime.logger.info('stopped');
    return code;
  },
};
