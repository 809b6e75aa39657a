import { useState } from 'preact/hooks';
import { columnKey, DataTable, type DataTableProps, type SortValue, type TableSort } from './data-table.tsx';

const isEmpty = (value: SortValue) => value === null || value === undefined || value === '';
let collator: Intl.Collator | undefined;

/** Numbers by value, text in the page language's order with digits read as numbers; empty values last either way. */
function compare(a: SortValue, b: SortValue, descending: boolean): number {
  if (isEmpty(a) || isEmpty(b)) return Number(isEmpty(a)) - Number(isEmpty(b));
  collator ??= new Intl.Collator(document.documentElement.lang || undefined, { numeric: true });
  const order = typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
  return descending ? -order : order;
}

/**
 * A DataTable whose columns with a `sortValue` sort it: a header button toggles ascending and descending.
 * Its own module, so the pages whose tables do not sort do not download it.
 */
export function SortableTable<T>(props: DataTableProps<T>) {
  const [sort, setSort] = useState<TableSort | null>(null);
  const by = sort && props.columns.find((c, i) => columnKey(c, i) === sort.key)?.sortValue;
  // Array.prototype.sort is stable: rows with equal values keep the server's order.
  const rows = sort && by ? [...props.rows].sort((a, b) => compare(by(a), by(b), sort.descending)) : props.rows;
  return (
    <DataTable
      {...props}
      rows={rows}
      sort={by ? sort : null}
      onSort={(key) => setSort((current) => ({ key, descending: current?.key === key && !current.descending }))}
    />
  );
}
