import { assertPageSize } from './params.ts';
import { offsetPage, type OffsetPage } from './pages.ts';

/**
 * The seed's `PaginationHelper.paginate(items, page, page_size)` for in-memory lists.
 * A page past the end is empty (not an error), like SQL OFFSET.
 */
export function paginate<T>(items: readonly T[], page: number, pageSize: number, maxPageSize = 100): OffsetPage<T> {
  assertPageSize('page_size', pageSize, maxPageSize);
  if (!Number.isInteger(page) || page < 1) assertPageSize('page', page, Number.MAX_SAFE_INTEGER);
  const start = (page - 1) * pageSize;
  return offsetPage(items.slice(start, start + pageSize), page, pageSize, items.length, false);
}
