import { AiStackError } from '../shared/errors.ts';
import type { App } from '../http/index.ts';
import type { Logger } from '../shared/logger.ts';

/** One thing `stop()` closes, named for the log. */
export interface ShutdownStep {
  name: string;
  run(remainingMs: number): unknown;
}

/** After the in-flight requests, closing gets at least this long even if they used the whole timeout. */
export const CLOSE_RESERVE_MS = 2_000;

/**
 * Runs the steps in order, each under its own error handling, all under one deadline: a step that fails is
 * logged and the next one still runs (a failing scheduler must not leave the database open), a step that
 * hangs (Redis unreachable) is abandoned when the deadline passes. Resolves with the names of the steps that
 * failed or were abandoned, so the caller can exit non-zero instead of waiting for a dependency forever.
 */
export async function runShutdownSteps(steps: readonly ShutdownStep[], deadline: number, logger: Logger): Promise<string[]> {
  const incomplete: string[] = [];
  for (const step of steps) {
    // A step that starts past the deadline still gets a moment: closing the database cleanly is worth 100 ms.
    const remainingMs = Math.max(deadline - Date.now(), 100);
    let timer: NodeJS.Timeout | undefined;
    const abandoned = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), remainingMs);
    });
    try {
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => step.run(remainingMs))
          .then(() => 'done' as const),
        abandoned,
      ]);
      if (outcome === 'timeout') {
        incomplete.push(step.name);
        logger.warn({ step: step.name, waitedMs: remainingMs }, 'shutdown step did not finish before the deadline; abandoned');
      }
    } catch (error) {
      incomplete.push(step.name);
      logger.error({ step: step.name, reason: error instanceof Error ? error.message : String(error) }, 'shutdown step failed; continuing with the next');
    } finally {
      clearTimeout(timer);
    }
  }
  return incomplete;
}

/** stop() finished, but some steps failed or were abandoned (named); the process should exit non-zero. */
export class ShutdownIncompleteError extends AiStackError {
  readonly steps: readonly string[];

  constructor(steps: readonly string[]) {
    super(`shutdown incomplete: ${steps.join(', ')} did not close cleanly`, { code: 'shutdown_incomplete' });
    this.steps = steps;
  }
}

/** Graceful stop: refuse new requests, finish in-flight ones, then the close steps, all under `timeoutMs` (+ the reserve). */
export async function stopGracefully(server: App, steps: readonly ShutdownStep[], timeoutMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // server.close() stops accepting, answers 503 to requests arriving on open keep-alive sockets and waits for
  // in-flight requests; the timer is the backstop for a client that never finishes its request.
  const timer = setTimeout(() => {
    logger.warn({ timeoutMs }, 'shutdown timeout reached; closing remaining connections');
    server.server.closeAllConnections();
  }, timeoutMs);
  try {
    await server.close();
  } catch (error) {
    logger.error({ reason: (error as Error).message }, 'closing the HTTP server failed; closing the rest');
  } finally {
    clearTimeout(timer);
  }
  const incomplete = await runShutdownSteps(steps, Math.max(deadline, Date.now() + CLOSE_RESERVE_MS), logger);
  if (incomplete.length > 0) throw new ShutdownIncompleteError(incomplete);
}
