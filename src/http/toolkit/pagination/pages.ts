/** Offset page body (also the seed's `PaginationHelper.paginate` result). */
export interface OffsetPage<T> {
  data: T[];
  page: number;
  page_size: number;
  /** null when the caller skipped the count (it costs a scan on big tables). */
  total: number | null;
  total_pages: number | null;
  has_next: boolean;
  has_prev: boolean;
}

/** Keyset page body (Stripe-style `has_more`, plus the cursor for the next page). */
export interface KeysetPage<T> {
  data: T[];
  limit: number;
  has_more: boolean;
  next_cursor: string | null;
}

export function offsetPage<T>(data: T[], page: number, pageSize: number, total: number | null, hasNextHint: boolean): OffsetPage<T> {
  const totalPages = total === null ? null : Math.max(1, Math.ceil(total / pageSize));
  return {
    data,
    page,
    page_size: pageSize,
    total,
    total_pages: totalPages,
    has_next: totalPages === null ? hasNextHint : page < totalPages,
    has_prev: page > 1,
  };
}
