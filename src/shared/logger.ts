import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

/** Structured JSON logger (pino); modules take one in their options rather than creating their own. */
export type Logger = PinoLogger;

export function createLogger(level: LevelWithSilent, name = 'ai-stack'): Logger {
  return pino({
    name,
    level,
    // Secrets never reach the log even when a request or config object is logged whole.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.adminKey', 'key'], censor: '[redacted]' },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
