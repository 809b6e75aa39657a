import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../config/index.ts';
import { createLogger, type Logger } from '../../shared/logger.ts';
import {
  createRedisTaskBackend,
  createTaskSystem,
  loadTaskModules,
  startWorkers,
  type LoadedTasks,
  type ScheduleSpec,
  type TaskBackend,
  type TaskDefinition,
  type TaskSystem,
} from '../../tasks/index.ts';
import { createSqliteTaskBackend } from '../../tasks/backends/sqlite/index.ts';
import { CLOSE_RESERVE_MS, runShutdownSteps, type ShutdownStep } from '../../app/index.ts';
import type { CliContext, Command } from '../command.ts';
import { boundHeapGrowth } from '../heap.ts';

/** What `worker`, `scheduler` (and `start`) need: a task system with its tasks and schedules. */
export interface TaskRuntime {
  system: TaskSystem;
  schedules: ScheduleSpec[];
  logger: Logger;
  close(): Promise<void>;
}

/** `user`: tasks and schedules from the `--tasks` modules, registered beside the built-in ones. */
export type TaskRuntimeFactory = (config: Config, user?: LoadedTasks) => Promise<TaskRuntime>;

/** `--tasks ./my-tasks.ts` (Celery's `-A`), repeatable or comma-separated. */
export const TASKS_OPTION = { tasks: { type: 'string', short: 'A', multiple: true } } as const;

/** The modules named by `--tasks`, or nothing; relative paths are resolved from the working directory. */
export async function loadTasksOption(values: string[] | undefined): Promise<LoadedTasks | undefined> {
  const specifiers = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return specifiers.length === 0 ? undefined : loadTaskModules(specifiers);
}

/** Redis when REDIS_URL is set, otherwise the embedded SQLite backend in the data directory. */
export function taskBackendFor(config: Config): TaskBackend {
  return config.redis
    ? createRedisTaskBackend(config.redis)
    : createSqliteTaskBackend({ file: join(config.dataDir, 'tasks.sqlite'), synchronous: config.sqliteSynchronous });
}

/**
 * The default runtime: the right backend plus the given tasks. The composition root passes its own
 * factory (with `sync.cleanup_cache` bound to the real cache) through `createWorkerCommand`.
 */
export function basicTaskRuntime(tasks: TaskDefinition[] = [], schedules: ScheduleSpec[] = []): TaskRuntimeFactory {
  return async (config, user) => {
    const logger = createLogger(config.logLevel, 'ai-stack-tasks');
    const backend = taskBackendFor(config);
    const system = createTaskSystem({ backend, tasks: [...tasks, ...(user?.tasks ?? [])], logger });
    return {
      system,
      schedules: [...schedules, ...(user?.schedules ?? [])],
      logger,
      close: async () => {
        await system.close();
        await backend.close();
      },
    };
  };
}

/** Resolves on the first SIGTERM/SIGINT (and forgets the listeners after). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** The started thing, or undefined when `signal` settles first. */
export async function firstOf<T>(starting: Promise<T>, signal: Promise<unknown>): Promise<T | undefined> {
  return Promise.race([starting, signal.then(() => undefined)]);
}

/** Runs the close steps under one deadline, whatever the backend does; exit code 0, or 1 if a step failed or hung. */
export async function closeWithin(timeoutMs: number, logger: Logger, steps: ShutdownStep[]): Promise<number> {
  const incomplete = await runShutdownSteps(steps, Date.now() + Math.max(timeoutMs, CLOSE_RESERVE_MS), logger);
  return incomplete.length === 0 ? 0 : 1;
}

export function usageError(ctx: CliContext, usage: string, message: string): number {
  ctx.stderr.write(`${message}\n\n${usage}\n`);
  return 2;
}

/** `8` (every queue) or `documents=4,sync=1` (per queue; unlisted queues get 10). */
export function parseConcurrency(text: string): number | Record<string, number> | undefined {
  const valid = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 10_000;
  if (/^\d+$/.test(text)) return valid(Number(text)) ? Number(text) : undefined;
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^([a-z][a-z0-9_-]{0,63})=(\d+)$/.exec(part.trim());
    if (!m?.[1] || !valid(Number(m[2]))) return undefined;
    out[m[1]] = Number(m[2]);
  }
  return out;
}

const USAGE = `Usage: ai-stack worker [--tasks ./my-tasks.ts] [--queues documents,reports] [--concurrency N | documents=4,sync=1] [--shutdown-timeout MS]

Runs task workers until SIGTERM/SIGINT, then finishes running jobs (up to the shutdown timeout;
unfinished ones are re-queued by stalled-job recovery).
  -A, --tasks             module(s) whose exported defineTask(…) values are registered beside the
                          built-in tasks (repeatable or comma-separated; Celery's -A)
  -Q, --queues            comma-separated queues (default: all)
  -c, --concurrency       jobs at once per queue: N, or queue=N,queue=N (default 10)
      --shutdown-timeout  ms to wait for running jobs on shutdown (default 30000)`;

export interface LongRunningOptions {
  /** Resolves when the command should shut down; default the first SIGTERM/SIGINT (tests pass their own). */
  until?: () => Promise<unknown>;
}

export function createWorkerCommand(makeRuntime: TaskRuntimeFactory = basicTaskRuntime(), opts: LongRunningOptions = {}): Command {
  return {
    name: 'worker',
    summary: 'Run task workers (Celery worker): --queues, --concurrency',
    usage: USAGE,
    async run(args, ctx) {
      let values: { queues?: string; concurrency?: string; 'shutdown-timeout'?: string; tasks?: string[] };
      try {
        ({ values } = parseArgs({
          args,
          strict: true,
          options: {
            ...TASKS_OPTION,
            queues: { type: 'string', short: 'Q' },
            concurrency: { type: 'string', short: 'c' },
            'shutdown-timeout': { type: 'string' },
          },
        }));
      } catch (err) {
        return usageError(ctx, USAGE, (err as Error).message);
      }
      boundHeapGrowth();
      const concurrency = parseConcurrency(values.concurrency ?? '10');
      if (concurrency === undefined) return usageError(ctx, USAGE, `--concurrency must be N or queue=N,queue=N (1..10000), got "${values.concurrency}"`);
      const timeoutMs = values['shutdown-timeout'] === undefined ? 30_000 : Number(values['shutdown-timeout']);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0) return usageError(ctx, USAGE, '--shutdown-timeout must be a non-negative integer (ms)');
      const queues = values.queues
        ?.split(',')
        .map((q) => q.trim())
        .filter(Boolean);
      if (queues && (queues.length === 0 || queues.some((q) => !/^[a-z][a-z0-9_-]{0,63}$/.test(q))))
        return usageError(ctx, USAGE, `--queues must be comma-separated queue names, got "${values.queues}"`);

      const user = await loadTasksOption(values.tasks);
      const runtime = await makeRuntime(ctx.loadConfig(), user);
      const signal = (opts.until ?? untilSignal)();
      // With the backend unreachable the workers start only when it is back; a signal meanwhile still ends the process.
      const pool = await firstOf(startWorkers(runtime.system, { concurrency, ...(queues ? { queues } : {}) }), signal);
      if (pool !== undefined) {
        ctx.stdout.write(
          `worker ${pool.id} consuming ${pool.queues.join(', ')} (concurrency ${typeof concurrency === 'number' ? concurrency : JSON.stringify(concurrency)})${registeredLine(user)}\n`,
        );
        runtime.logger.info({ signal: await signal }, 'worker shutting down');
      }
      return closeWithin(timeoutMs, runtime.logger, [
        { name: 'task workers', run: (remainingMs) => pool?.close({ timeoutMs: Math.max(remainingMs - 1_000, 0) }) },
        { name: 'task runtime', run: () => runtime.close() },
      ]);
    },
  };
}

export const workerCommand: Command = createWorkerCommand();

function registeredLine(user: LoadedTasks | undefined): string {
  return user ? `; your tasks: ${user.tasks.map((t) => t.name).join(', ')}` : '';
}
