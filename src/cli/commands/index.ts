import { createStandaloneTasks } from '../../app/index.ts';
import { createLogger } from '../../shared/logger.ts';
import type { Command } from '../command.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { createCallCommand } from './call.ts';
import { dbCommand } from './db.ts';
import { demoDataCommand } from './demo-data.ts';
import { doctorCommand } from './doctor.ts';
import { keysCommand } from './keys.ts';
import { migrateCommand } from './migrate.ts';
import { createSchedulerCommand } from './scheduler.ts';
import { startCommand } from './start.ts';
import { usersCommand } from './users.ts';
import { createWorkerCommand, type TaskRuntimeFactory } from './worker.ts';

/** Workers and the scheduler get the same tasks as `start`, bound to the real cache. */
const appTaskRuntime: TaskRuntimeFactory = async (config, user) => {
  const logger = createLogger(config.logLevel, 'ai-stack-tasks');
  const tasks = await createStandaloneTasks(config, logger, user);
  return { system: tasks.system, schedules: tasks.schedules, logger, close: () => tasks.close() };
};

export const commands: Command[] = [
  startCommand,
  createWorkerCommand(appTaskRuntime),
  createSchedulerCommand(appTaskRuntime),
  createCallCommand(appTaskRuntime),
  migrateCommand,
  demoDataCommand,
  dbCommand,
  keysCommand,
  usersCommand,
  backupCommand,
  restoreCommand,
  doctorCommand,
];
