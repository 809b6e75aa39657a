import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../shared/logger.ts';

export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
export const CONSOLE_DIST = join(WEB_DIR, 'dist');

interface Vite {
  build(config: { configFile: string; logLevel: 'warn'; build: { outDir: string; emptyOutDir: boolean } }): Promise<unknown>;
}

/**
 * `npm install` builds the console (the `prepare` script); this covers a checkout where that did not run:
 * the first start builds it, when Vite (a dev dependency) is there. Without Vite the API still serves.
 * The build goes to a private directory renamed into place, so two processes starting at once never
 * serve (or build over) a half-written console.
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
  const staging = `${CONSOLE_DIST}.${process.pid}.${Date.now()}`;
  try {
    await vite.build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
    if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
    rmSync(CONSOLE_DIST, { recursive: true, force: true });
    renameSync(staging, CONSOLE_DIST);
  } catch (error) {
    // Another process won the race: its build is as good as ours.
    if (!existsSync(join(CONSOLE_DIST, 'index.html'))) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
