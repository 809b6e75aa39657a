import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TaskQueue } from './queues.ts';

export type TaskOutcome = 'success' | 'failure' | 'retry' | 'revoked' | 'expired';

/** Throughput, latency and failure counters (`ai_stack_tasks_*`); no-ops without a registry. */
export interface TaskMetrics {
  enqueued(queue: string, task: string): void;
  started(queue: string, task: string, waitMs: number): void;
  finished(queue: string, task: string, outcome: TaskOutcome, runtimeMs: number): void;
}

const noop: TaskMetrics = { enqueued() {}, started() {}, finished() {} };

function once<T>(registry: Registry, name: string, make: () => T): T {
  // Several systems may share one registry (tests, in-process start); reuse what is registered.
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createTaskMetrics(registry: Registry | undefined, queues: () => TaskQueue[]): TaskMetrics {
  if (!registry) return noop;
  const registers = [registry];
  const enqueued = once(
    registry,
    'ai_stack_tasks_enqueued_total',
    () => new Counter({ name: 'ai_stack_tasks_enqueued_total', help: 'Tasks enqueued', labelNames: ['queue', 'task'], registers }),
  );
  const finished = once(
    registry,
    'ai_stack_tasks_finished_total',
    () => new Counter({ name: 'ai_stack_tasks_finished_total', help: 'Task runs finished, by outcome', labelNames: ['queue', 'task', 'outcome'], registers }),
  );
  const wait = once(
    registry,
    'ai_stack_tasks_wait_seconds',
    () =>
      new Histogram({
        name: 'ai_stack_tasks_wait_seconds',
        help: 'Enqueue (or due time) to start',
        labelNames: ['queue'],
        buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60, 600],
        registers,
      }),
  );
  const runtime = once(
    registry,
    'ai_stack_tasks_runtime_seconds',
    () =>
      new Histogram({
        name: 'ai_stack_tasks_runtime_seconds',
        help: 'Handler run time',
        labelNames: ['queue', 'task'],
        buckets: [0.001, 0.01, 0.1, 1, 10, 60, 600],
        registers,
      }),
  );
  once(
    registry,
    'ai_stack_tasks_queue_jobs',
    () =>
      new Gauge({
        name: 'ai_stack_tasks_queue_jobs',
        help: 'Jobs per queue and state, read at scrape time',
        labelNames: ['queue', 'state'],
        registers,
        async collect() {
          for (const q of queues()) {
            const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
            for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
          }
        },
      }),
  );
  return {
    enqueued: (queue, task) => enqueued.inc({ queue, task }),
    started: (queue, _task, waitMs) => wait.observe({ queue }, Math.max(0, waitMs) / 1000),
    finished(queue, task, outcome, runtimeMs) {
      finished.inc({ queue, task, outcome });
      runtime.observe({ queue, task }, runtimeMs / 1000);
    },
  };
}
