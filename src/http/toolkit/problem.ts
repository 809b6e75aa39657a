import { AiStackError } from '../../shared/errors.ts';
import type { FieldIssue } from '../../shared/errors.ts';

/**
 * The RFC 9457 body used *inside* toolkit responses (bulk item results, `$batch` failures).
 * Whole-response errors are thrown and rendered by the app's own error handler instead.
 */
export interface ItemProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  issues?: FieldIssue[];
}

export function itemProblem(error: unknown): ItemProblem {
  const known = error instanceof AiStackError ? error : null;
  const status = known?.status ?? 500;
  const problem: ItemProblem = {
    type: `urn:ai-stack:problem:${known?.code ?? 'internal_error'}`,
    title: known?.name ?? 'InternalError',
    status,
    // Unexpected errors may carry internals (SQL, paths): never echo them to the client.
    detail: known !== null && status < 500 ? known.message : known?.message ?? 'Internal error',
    code: known?.code ?? 'internal_error',
  };
  if (known !== null && known.issues.length > 0) problem.issues = known.issues;
  return problem;
}
