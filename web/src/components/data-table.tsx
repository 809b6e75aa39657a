import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

export interface Column<T> {
  /** Header text, already translated. */
  header: string;
  cell: (row: T) => ComponentChildren;
  /** The column that names each row: its cells become row headers, so a screen reader announces them with every cell. */
  rowHeader?: boolean;
  class?: string;
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
  /** Shown instead of an empty table. */
  empty?: string;
}

/**
 * The console's tables: a caption, column headers with scope, optional row headers. Values are rendered
 * as text by Preact (never as HTML). A table wider than the page scrolls inside a region that takes
 * keyboard focus, so it can be scrolled with the arrow keys; one that fits adds no tab stop.
 */
export function DataTable<T>({ caption, hideCaption, columns, rows, rowKey, testId, rowTestId, empty }: DataTableProps<T>) {
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
  return (
    <div
      ref={frame}
      class="table-frame"
      role={scrolls ? 'region' : undefined}
      aria-labelledby={scrolls ? captionId : undefined}
      tabIndex={scrolls ? 0 : undefined}
    >
      <table data-testid={testId}>
        <caption id={captionId} class={hideCaption ? 'visually-hidden' : undefined}>
          {caption}
        </caption>
        <thead>
          <tr>
            {columns.map((column, i) => (
              <th key={i} scope="col" class={column.class}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} data-testid={rowTestId?.(row)}>
              {columns.map((column, i) =>
                column.rowHeader ? (
                  <th key={i} scope="row" class={column.class}>
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={i} class={column.class}>
                    {column.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
