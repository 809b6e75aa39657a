import type { Command } from '../command.ts';
import { demoDataCommand } from './demo-data.ts';
import { doctorCommand } from './doctor.ts';
import { keysCommand } from './keys.ts';
import { migrateCommand } from './migrate.ts';
import { startCommand } from './start.ts';

export const commands: Command[] = [startCommand, migrateCommand, demoDataCommand, keysCommand, doctorCommand];
