// ai-stack/tasks: Celery-style tasks over BullMQ 6. This file is the module's whole public face.
export type { TaskBackend, TaskStore, BullmqBinding } from './backend.ts';
export { bindBullmq } from './backend.ts';
export { createRedisTaskBackend, type RedisTaskBackendOptions } from './backends/redis/index.ts';
export {
  defineTask,
  isTaskDefinition,
  DEFAULT_QUEUES,
  type TaskDefinition,
  type TaskOptions,
  type TaskContext,
  type TaskHandler,
  type RetryPolicy,
  type ErrorClass,
} from './define.ts';
export { createTaskSystem, type TaskSystem, type TaskSystemOptions, type BoundTask } from './system.ts';
export { TaskHandle, GroupHandle, type GetOptions } from './handle.ts';
export type { Signature } from './canvas.ts';
export type { ApplyOptions } from './queues.ts';
export type { TaskState, TaskResultRecord, AttemptRecord, RemoteError } from './results.ts';
export {
  NonRetryableError,
  TimeLimitExceededError,
  TaskRevokedError,
  TaskTimeoutError,
  TaskFailedError,
  TaskArgumentsError,
  UnknownTaskError,
} from './errors.ts';
export { startWorkers, type StartWorkersOptions, type WorkerPool } from './workers.ts';
export { WorkerRegistry, type WorkerInfo } from './registry.ts';
export { schedule, parseSchedules, Schedules, type ScheduleSpec, type ScheduleView } from './scheduler.ts';
export { startScheduler, type StartSchedulerOptions, type SchedulerHandle } from './beat.ts';
export { backoffDelay } from './backoff.ts';
export type { TaskMetrics, TaskOutcome } from './metrics.ts';
export { createCleanupCacheTask, cleanupCacheSchedule, CLEANUP_CACHE_TASK, type PrunableCache } from './builtin/cleanup-cache.ts';
export { tasksAdminRoutes, type TasksAdminOptions } from './admin/index.ts';
export { liveEventsRoutes, type LiveEventsOptions } from './admin/events.ts';
export { estimateRemainingMs, type ProgressInput, type TaskProgress } from './progress.ts';
export { loadTaskModules, TaskModuleError, type LoadedTasks } from './load.ts';
