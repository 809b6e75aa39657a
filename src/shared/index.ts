export * from './errors.ts';
export type { Logger } from './logger.ts';
export { createLogger, silentLogger } from './logger.ts';
