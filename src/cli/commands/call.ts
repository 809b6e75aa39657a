import { parseArgs } from 'node:util';
import { TaskFailedError, TaskRevokedError, TaskTimeoutError, UnknownTaskError, type ApplyOptions } from '../../tasks/index.ts';
import type { Command } from '../command.ts';
import { basicTaskRuntime, loadTasksOption, TASKS_OPTION, usageError, type TaskRuntimeFactory } from './worker.ts';

const USAGE = `Usage: ai-stack call <task> [--args '<json>'] [--tasks ./my-tasks.ts] [--countdown S] [--eta ISO] [--queue Q] [--priority N] [--wait [--timeout S]]

Sends a task by name (Celery's "celery call"), validated with the task's argument schema, and prints
its id. Workers (ai-stack worker or start) on the same REDIS_URL / data directory run it.
  -A, --tasks      module(s) defining your tasks, as given to the worker (their schemas validate --args)
  -a, --args       the task's arguments as JSON (default null)
      --countdown  run no earlier than S seconds from now
      --eta        run no earlier than this ISO 8601 time
  -Q, --queue      route to this queue instead of the task's own
      --priority   1 (highest) .. 2097152
  -w, --wait       wait for the result and print it as JSON (exit 1 if the task failed)
      --timeout    seconds --wait waits (default 60)`;

interface CallFlags {
  args?: string;
  tasks?: string[];
  countdown?: string;
  eta?: string;
  queue?: string;
  priority?: string;
  wait?: boolean;
  timeout?: string;
}

type Parsed = { task: string; args: unknown; apply: ApplyOptions; wait: boolean; timeoutMs: number } | { error: string };

function parse(argv: string[]): Parsed & { flags?: CallFlags } {
  let values: CallFlags;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        ...TASKS_OPTION,
        args: { type: 'string', short: 'a' },
        countdown: { type: 'string' },
        eta: { type: 'string' },
        queue: { type: 'string', short: 'Q' },
        priority: { type: 'string' },
        wait: { type: 'boolean', short: 'w' },
        timeout: { type: 'string' },
      },
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const [task, ...extra] = positionals;
  if (task === undefined) return { error: 'name the task to send, e.g. ai-stack call reports.add --args \'{"a":1}\'' };
  if (extra.length > 0) return { error: `unexpected argument "${extra[0]}": pass the task's arguments as JSON with --args` };
  let args: unknown = null;
  if (values.args !== undefined) {
    try {
      args = JSON.parse(values.args);
    } catch (err) {
      return { error: `--args is not valid JSON (${(err as Error).message})` };
    }
  }
  const apply: ApplyOptions = {};
  if (values.countdown !== undefined) {
    const s = Number(values.countdown);
    if (values.countdown.trim() === '' || !Number.isFinite(s) || s < 0 || s > 366 * 86_400)
      return { error: `--countdown must be a number of seconds (0..31622400), got "${values.countdown}"` };
    apply.countdown = Math.round(s * 1000);
  }
  if (values.eta !== undefined) {
    const eta = new Date(values.eta);
    if (Number.isNaN(eta.getTime())) return { error: `--eta must be an ISO 8601 time such as 2030-01-31T12:00:00Z, got "${values.eta}"` };
    apply.eta = eta;
  }
  if (values.queue !== undefined) {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(values.queue)) return { error: `--queue must be a short lower-case queue name, got "${values.queue}"` };
    apply.queue = values.queue;
  }
  if (values.priority !== undefined) {
    const p = Number(values.priority);
    if (!Number.isInteger(p) || p < 1 || p > 2_097_152) return { error: `--priority must be an integer 1..2097152, got "${values.priority}"` };
    apply.priority = p;
  }
  const timeoutS = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) return { error: `--timeout must be a positive number of seconds, got "${values.timeout}"` };
  return { task, args, apply, wait: values.wait === true, timeoutMs: Math.round(timeoutS * 1000), flags: values };
}

export function createCallCommand(makeRuntime: TaskRuntimeFactory = basicTaskRuntime()): Command {
  return {
    name: 'call',
    summary: 'Send a task by name (Celery call): --args JSON, --countdown, --queue, --wait',
    usage: USAGE,
    async run(argv, ctx) {
      const parsed = parse(argv);
      if ('error' in parsed) return usageError(ctx, USAGE, parsed.error);
      const user = await loadTasksOption(parsed.flags?.tasks);
      const runtime = await makeRuntime(ctx.loadConfig(), user);
      try {
        if (!runtime.system.definition(parsed.task)) {
          const hint = user ? '' : ' (load your task module with --tasks ./my-tasks.ts)';
          const known = runtime.system
            .definitions()
            .map((d) => d.name)
            .join(', ');
          ctx.stderr.write(`ai-stack call: ${new UnknownTaskError(parsed.task).message}${hint}; known tasks: ${known}\n`);
          return 1;
        }
        const handle = await runtime.system.send(parsed.task, parsed.args, parsed.apply);
        if (!parsed.wait) {
          ctx.stdout.write(`${handle.id}\n`);
          return 0;
        }
        ctx.stderr.write(`${handle.id} sent to ${handle.queue ?? 'its queue'}; waiting for the result\n`);
        try {
          ctx.stdout.write(`${JSON.stringify(await handle.get({ timeout: parsed.timeoutMs })) ?? 'null'}\n`);
          return 0;
        } catch (error) {
          if (error instanceof TaskFailedError || error instanceof TaskRevokedError || error instanceof TaskTimeoutError) {
            ctx.stderr.write(`ai-stack call: ${error.message}\n`);
            return 1;
          }
          throw error;
        }
      } finally {
        await runtime.close();
      }
    },
  };
}
