import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

export type SortValue = string | number | null | undefined;

/** A header above several adjacent columns (a pivot's column value above its measures). */
export interface ColumnGroup {
  id: string;
  header: string;
  class?: string | undefined;
}

export interface Column<T> {
  /** Header text, already translated. */
  header: string;
  cell: (row: T) => ComponentChildren;
  /**
   * The column that names each row: its cells become row headers, so a screen reader announces them with
   * every cell. An empty one (a pivot's rolled-up level below a total) stays a data cell: an empty header says nothing.
   */
  rowHeader?: boolean;
  class?: string | undefined;
  /** Identity of a column built from data (a pivot's); its position otherwise. */
  key?: string;
  /** In a `SortableTable`, makes the column sortable by this value: the header becomes a button, `aria-sort` tells the order. */
  sortValue?: (row: T) => SortValue;
  /** Data attributes on each cell: a test id, the raw number behind a formatted one. */
  cellAttributes?: (row: T) => Record<`data-${string}`, string> | undefined;
  /** Adjacent columns of the same group share one header in a row above theirs. */
  group?: ColumnGroup | undefined;
}

export interface DataTableProps<T> {
  /** Names the table for assistive technology (and for sighted readers unless `hideCaption`). */
  caption: string;
  /** The caption stays for screen readers only: a heading right above already says it. */
  hideCaption?: boolean;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  testId?: string;
  rowTestId?: (row: T) => string;
  rowClass?: (row: T) => string | undefined;
  /** Class of the table element. */
  class?: string;
  /** Shown instead of an empty table. */
  empty?: string;
  /** Sorting, from `SortableTable` (sortable-table.tsx): the rows come sorted, the headers of sortable columns become buttons. */
  sort?: TableSort | null;
  onSort?: (key: string) => void;
}

/** The column a table is sorted by (its key) and the direction. */
export interface TableSort {
  key: string;
  descending: boolean;
}

export const columnKey = (column: { key?: string | undefined }, index: number) => column.key ?? String(index);

/**
 * The console's tables: a caption, column headers with scope (grouped under a spanning header where asked),
 * optional row headers, sortable headers (through `SortableTable`). Values are rendered as text by Preact (never as HTML).
 * A table wider than the page scrolls inside a region that takes keyboard focus, so it can be scrolled with
 * the arrow keys; one that fits adds no tab stop.
 */
export function DataTable<T>(props: DataTableProps<T>) {
  const { caption, hideCaption, columns, rows, rowKey, testId, rowTestId, rowClass, empty, sort, onSort } = props;
  const captionId = useId();
  const frame = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  const shown = rows.length > 0 || empty === undefined;
  useEffect(() => {
    const el = frame.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setScrolls(el.scrollWidth > el.clientWidth + 1));
    observer.observe(el);
    if (el.firstElementChild) observer.observe(el.firstElementChild);
    return () => observer.disconnect();
  }, [shown]);

  if (!shown) return <p data-testid={testId}>{empty}</p>;
  const grouped = columns.some((c) => c.group);

  const header = (column: Column<T>, index: number, rowSpan?: number) => {
    const key = columnKey(column, index);
    const active = sort?.key === key ? sort : null;
    return (
      <th key={key} scope="col" rowSpan={rowSpan} class={column.class} aria-sort={active ? (active.descending ? 'descending' : 'ascending') : undefined}>
        {onSort && column.sortValue ? (
          <button type="button" class="sort" onClick={() => onSort(key)}>
            {column.header}
            <span aria-hidden="true">{active ? (active.descending ? ' ▼' : ' ▲') : ' ↕'}</span>
          </button>
        ) : (
          column.header
        )}
      </th>
    );
  };
  const groupHeader = (column: Column<T>, index: number) => {
    const group = column.group!;
    if (columns[index - 1]?.group?.id === group.id) return null;
    let span = 1;
    while (columns[index + span]?.group?.id === group.id) span++;
    return (
      <th key={`group:${group.id}`} scope="colgroup" colSpan={span} class={group.class}>
        {group.header}
      </th>
    );
  };

  return (
    <div
      ref={frame}
      class="table-frame"
      role={scrolls ? 'region' : undefined}
      aria-labelledby={scrolls ? captionId : undefined}
      tabIndex={scrolls ? 0 : undefined}
    >
      <table data-testid={testId} class={props.class}>
        <caption id={captionId} class={hideCaption ? 'visually-hidden' : undefined}>
          {caption}
        </caption>
        <thead>
          {grouped && <tr>{columns.map((column, i) => (column.group ? groupHeader(column, i) : header(column, i, 2)))}</tr>}
          <tr>{columns.map((column, i) => (grouped && !column.group ? null : header(column, i)))}</tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} data-testid={rowTestId?.(row)} class={rowClass?.(row)}>
              {columns.map((column, i) => {
                const content = column.cell(row);
                const attributes = column.cellAttributes?.(row) ?? {};
                return column.rowHeader && content !== '' && content !== null && content !== undefined ? (
                  <th key={columnKey(column, i)} scope="row" class={column.class} {...attributes}>
                    {content}
                  </th>
                ) : (
                  <td key={columnKey(column, i)} class={column.class} {...attributes}>
                    {content}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
