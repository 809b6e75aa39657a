import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AiStackError } from '../shared/errors.ts';
import { isTaskDefinition, type TaskDefinition } from './define.ts';
import type { ScheduleSpec } from './scheduler.ts';

/** A `--tasks` module could not be used: missing, failing on import, or exporting no task. */
export class TaskModuleError extends AiStackError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'task_module_invalid', status: 400, cause });
  }
}

export interface LoadedTasks {
  tasks: TaskDefinition[];
  schedules: ScheduleSpec[];
}

/**
 * Celery's `-A`: imports the user's task modules and collects every exported `defineTask` value,
 * plus an exported `schedules` array (beat entries). A definition is recognised by its `kind` tag,
 * not by identity, so a module may import `ai-stack/tasks` from the installed package while the
 * CLI runs from another copy.
 */
export async function loadTaskModules(specifiers: readonly string[], cwd: string = process.cwd()): Promise<LoadedTasks> {
  const byName = new Map<string, TaskDefinition>();
  const schedules: ScheduleSpec[] = [];
  for (const specifier of specifiers) {
    const file = isAbsolute(specifier) ? specifier : resolve(cwd, specifier);
    if (!existsSync(file)) throw new TaskModuleError(`task module ${specifier} does not exist (looked at ${file})`);
    let exported: Record<string, unknown>;
    try {
      exported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      throw new TaskModuleError(`task module ${specifier} failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, error);
    }
    let found = 0;
    for (const value of Object.values(exported)) {
      if (!isTaskDefinition(value)) continue;
      found++;
      const other = byName.get(value.name);
      if (other && other !== value) throw new TaskModuleError(`task "${value.name}" is defined twice (in ${specifier} and an earlier module)`);
      byName.set(value.name, value);
    }
    if (Array.isArray(exported.schedules)) schedules.push(...(exported.schedules as ScheduleSpec[]));
    if (found === 0) throw new TaskModuleError(`task module ${specifier} exports no task: export the values returned by defineTask(…)`);
  }
  return { tasks: [...byName.values()], schedules };
}
