export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export { createAppTasks, createStandaloneTasks, taskBackendFor, type AppTasks, type AppTaskDeps } from './tasks.ts';
export { ShutdownIncompleteError } from './shutdown.ts';
