import { CodeError } from './rows.ts';

/** BullMQ's message for a backend error code, so callers see the same text as with Redis or PostgreSQL. */
export function bullmqError(code: number, ctx: { jobId?: string; parentKey?: string; command: string; state?: string }): Error {
  const { jobId, parentKey, command, state } = ctx;
  const messages: Record<number, string> = {
    [-1]: `Missing key for job ${jobId}. ${command}`,
    [-2]: `Missing lock for job ${jobId}. ${command}`,
    [-3]: `Job ${jobId} is not in the ${state} state. ${command}`,
    [-4]: `Job ${jobId} has pending dependencies. ${command}`,
    [-5]: `Missing key for parent job ${parentKey}. ${command}`,
    [-6]: `Lock mismatch for job ${jobId}. Cmd ${command} from ${state}`,
    [-7]: `The parent job ${parentKey} cannot be replaced. ${command}`,
    [-8]: `Job ${jobId} belongs to a job scheduler and cannot be removed directly. ${command}`,
    [-9]: `Cannot complete job ${jobId} because it has at least one failed child. ${command}`,
    [-10]: `Cannot create job scheduler iteration - job ID already exists. ${command}`,
    [-11]: `Cannot create job scheduler iteration - current and next time slots already have jobs. ${command}`,
  };
  const error = new Error(messages[code] ?? `Unknown code ${code} error for ${jobId}. ${command}`) as Error & { code: number };
  error.code = code;
  if (code === -9) error.name = 'UnrecoverableError';
  return error;
}

type CodeContext = { jobId?: string; parentKey?: string; command: string; state?: string };

function translate(error: unknown, ctx: CodeContext): unknown {
  return error instanceof CodeError ? bullmqError(error.code, ctx) : error;
}

/** Runs `fn` (sync or async), translating a CodeError thrown inside the transaction into BullMQ's error. */
export function mapCodes<T>(fn: () => T, ctx: CodeContext): T {
  try {
    const result = fn();
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw translate(error, ctx);
      }) as T;
    }
    return result;
  } catch (error) {
    throw translate(error, ctx);
  }
}
