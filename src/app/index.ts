export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export { createAppTasks, createStandaloneTasks, taskBackendFor, type AppTasks } from './tasks.ts';
