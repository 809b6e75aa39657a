export { consoleRoutes, CONSOLE_PAGES } from './routes.ts';
export { ensureConsoleBuilt, CONSOLE_DIST, WEB_DIR } from './build.ts';
