import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../shared/logger.ts';

type Vite = { build(config: { configFile: string; logLevel: 'warn' }): Promise<unknown> };

export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
export const CONSOLE_DIST = join(WEB_DIR, 'dist');

/**
 * `npm install` builds the console (the `prepare` script); this covers a checkout where that did not run:
 * the first start builds it, when Vite (a dev dependency) is there. Without Vite the API still serves.
 */
export async function ensureConsoleBuilt(logger: Logger): Promise<void> {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  let vite: Vite;
  try {
    vite = await import('vite');
  } catch {
    logger.warn('web console not built and Vite is not installed: run "npm install" (with dev dependencies)');
    return;
  }
  logger.info('building the web console (first start)');
  await vite.build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn' });
}
