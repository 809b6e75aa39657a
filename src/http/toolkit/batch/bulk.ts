import { AiStackError, ValidationError } from '../../../shared/errors.ts';
import { itemProblem, type ItemProblem } from '../problem.ts';

export interface BulkItemResult<R> {
  index: number;
  status: number;
  data?: R;
  error?: ItemProblem;
}

export interface BulkOutcome<R> {
  /** 200 when every item succeeded, 207 (Multi-Status) when some failed in partial mode. */
  status: 200 | 207;
  body: { results: BulkItemResult<R>[]; succeeded: number; failed: number };
}

/** Runs the callback inside one transaction and resolves with its value; rejects (and rolls back) if it throws. */
export type TransactionRunner<Tx> = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export interface BulkOptions {
  /** Most items one call may carry. Default 1000. */
  maxItems?: number;
  /** HTTP status for a successful item (201 for creates). Default 200. */
  successStatus?: number;
}

/**
 * Partial-success bulk: every item runs independently and reports its own status and problem.
 * Items run one after another so a bulk request cannot exhaust the connection pool.
 */
export async function runBulkPartial<I, R>(
  items: readonly I[],
  apply: (item: I, index: number) => Promise<R>,
  options: BulkOptions = {},
): Promise<BulkOutcome<R>> {
  checkSize(items, options.maxItems ?? 1000);
  const results: BulkItemResult<R>[] = [];
  for (const [index, item] of items.entries()) {
    try {
      results.push({ index, status: options.successStatus ?? 200, data: await apply(item, index) });
    } catch (error) {
      const problem = itemProblem(error);
      results.push({ index, status: problem.status, error: problem });
    }
  }
  const failed = results.filter((result) => result.error !== undefined).length;
  return { status: failed === 0 ? 200 : 207, body: { results, succeeded: results.length - failed, failed } };
}

/** Raised by atomic bulk: nothing was applied; `index` says which item made the whole batch fail. */
export class BulkAbortedError extends AiStackError {
  readonly index: number;
  readonly itemProblem: ItemProblem;

  constructor(index: number, problem: ItemProblem) {
    // Keep the item's own status (409 for a conflict, 404 …) so the client sees why, not a generic 400.
    super(`Item ${index} failed (${problem.detail}); nothing was applied`, {
      code: 'bulk_aborted',
      status: problem.status >= 500 ? 500 : problem.status,
      issues: [{ field: `/${index}`, message: problem.detail }],
    });
    this.index = index;
    this.itemProblem = problem;
  }
}

/** All-or-nothing bulk: every item runs in one transaction; the first failure rolls all of them back. */
export async function runBulkAtomic<I, R, Tx>(
  items: readonly I[],
  transaction: TransactionRunner<Tx>,
  apply: (item: I, index: number, tx: Tx) => Promise<R>,
  options: BulkOptions = {},
): Promise<BulkOutcome<R>> {
  checkSize(items, options.maxItems ?? 1000);
  const data = await transaction(async (tx) => {
    const applied: R[] = [];
    for (const [index, item] of items.entries()) {
      try {
        applied.push(await apply(item, index, tx));
      } catch (error) {
        throw new BulkAbortedError(index, itemProblem(error));
      }
    }
    return applied;
  });
  const status = options.successStatus ?? 200;
  return { status: 200, body: { results: data.map((value, index) => ({ index, status, data: value })), succeeded: data.length, failed: 0 } };
}

function checkSize(items: readonly unknown[], max: number): void {
  if (!Array.isArray(items) || items.length === 0 || items.length > max) {
    throw new ValidationError(`A bulk request carries 1 to ${max} items, got ${Array.isArray(items) ? items.length : 'none'}`, [
      { field: '/', message: `1 to ${max} items` },
    ]);
  }
}
