import { AiStackError } from '../../shared/errors.ts';
import type { FieldIssue } from '../../shared/errors.ts';
import { problemTitle, problemType } from '../problem.ts';

/**
 * The RFC 9457 body used *inside* toolkit responses (bulk item results, `$batch` failures).
 * Whole-response errors are thrown and rendered by the app's own error handler instead; both share
 * one `type` scheme, `title` and `errors` member, so a client reads either with the same code.
 */
export interface ItemProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldIssue[];
}

export function itemProblem(error: unknown): ItemProblem {
  const known = error instanceof AiStackError ? error : null;
  const status = known?.status ?? 500;
  const code = known?.code ?? 'internal_error';
  const problem: ItemProblem = {
    type: problemType(code),
    title: problemTitle(status),
    status,
    // Unexpected errors may carry internals (SQL, paths): never echo them to the client.
    detail: known !== null && status < 500 ? known.message : (known?.message ?? 'Internal error'),
    code,
  };
  if (known !== null && known.issues.length > 0) problem.errors = known.issues;
  return problem;
}
