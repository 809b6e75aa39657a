export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export { createAppTasks, createStandaloneTasks, taskBackendFor, type AppTasks, type AppTaskDeps } from './tasks.ts';
export { CLOSE_RESERVE_MS, runShutdownSteps, ShutdownIncompleteError, type ShutdownStep } from './shutdown.ts';
export { ALL_ROLES, parseRoles, type Role } from './roles.ts';
