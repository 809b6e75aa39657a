// Entry point of a worker thread that runs one task handler (see sandbox.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { isTaskDefinition } from './define.ts';
import { NonRetryableError, TimeLimitExceededError } from './errors.ts';
import { toProgress } from './progress.ts';
import type { ThreadInput } from './sandbox.ts';

const input = workerData as ThreadInput;
const controller = new AbortController();
parentPort?.on('message', (msg: { type?: string; limitMs?: number }) => {
  if (msg.type === 'soft') controller.abort(new TimeLimitExceededError('soft', msg.limitMs ?? 0));
});

try {
  const mod = (await import(input.module)) as Record<string, unknown>;
  const def = Object.values(mod).find((v) => isTaskDefinition(v) && v.name === input.task);
  if (!isTaskDefinition(def)) throw new NonRetryableError(`module ${input.module} does not export task "${input.task}"`);
  // Time limits start now: loading the module is start-up cost, not the handler's run time.
  parentPort?.postMessage({ ready: true });
  const result = await def.handler(input.args, {
    id: input.id,
    name: input.task,
    attempt: input.attempt,
    startedAt: input.startedAt,
    signal: controller.signal,
    progress: async (value, message) => {
      toProgress(value, message); // the same validation as in-process, thrown here in the handler
      parentPort?.postMessage({ progress: { value, ...(message === undefined ? {} : { message }) } });
    },
  });
  parentPort?.postMessage({ ok: true, result });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  parentPort?.postMessage({ ok: false, error: { name: e.name, message: e.message, stack: e.stack, nonRetryable: e instanceof NonRetryableError } });
}
