import { parseArgs } from 'node:util';
import { startScheduler } from '../../tasks/index.ts';
import type { Command } from '../command.ts';
import {
  basicTaskRuntime,
  closeWithin,
  firstOf,
  loadTasksOption,
  TASKS_OPTION,
  untilSignal,
  usageError,
  type LongRunningOptions,
  type TaskRuntimeFactory,
} from './worker.ts';

const USAGE = `Usage: ai-stack scheduler [--tasks ./my-tasks.ts]

Runs the task scheduler (Celery beat) until SIGTERM/SIGINT. Any number may run: one holds the
leader lease and keeps the job schedulers in step with the declared and edited schedules.
  -A, --tasks   module(s) whose exported tasks and \`schedules\` array are added to the built-in ones`;

export function createSchedulerCommand(makeRuntime: TaskRuntimeFactory = basicTaskRuntime(), opts: LongRunningOptions = {}): Command {
  return {
    name: 'scheduler',
    summary: 'Run the task scheduler (Celery beat); safe to run several',
    usage: USAGE,
    async run(args, ctx) {
      let values: { tasks?: string[] };
      try {
        ({ values } = parseArgs({ args, strict: true, options: { ...TASKS_OPTION } }));
      } catch (err) {
        return usageError(ctx, USAGE, (err as Error).message);
      }
      const config = ctx.loadConfig();
      const runtime = await makeRuntime(config, await loadTasksOption(values.tasks));
      const signal = (opts.until ?? untilSignal)();
      const beat = await firstOf(startScheduler(runtime.system, { schedules: runtime.schedules }), signal);
      if (beat !== undefined) {
        ctx.stdout.write(`scheduler started with ${runtime.schedules.length} schedule(s)${beat.isLeader() ? ' (leader)' : ' (standby)'}\n`);
        runtime.logger.info({ signal: await signal }, 'scheduler shutting down');
      }
      return closeWithin(config.http.shutdownTimeoutMs, runtime.logger, [
        { name: 'scheduler', run: () => beat?.close() },
        { name: 'task runtime', run: () => runtime.close() },
      ]);
    },
  };
}

export const schedulerCommand: Command = createSchedulerCommand();
