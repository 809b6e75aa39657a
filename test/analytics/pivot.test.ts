import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERP_CUBES, runPivot, runReport, type PivotResult, type ReportDefinition } from '../../src/analytics/index.ts';
import { loadDemoData, QueryCache } from '../../src/db/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/db.ts';

const PIVOT: ReportDefinition = {
  cube: 'sales',
  rows: [{ field: 'order_date', grain: 'year' }, 'region'],
  columns: ['category'],
  measures: ['revenue', 'margin_pct', 'orders', 'avg_unit_price', 'max_line'],
  subtotals: true,
  percent: ['row', 'column', 'grand'],
};
const options = { cubes: ERP_CUBES };

describe('pivots and reports on both dialects', () => {
  const dbs: Partial<Record<'sqlite' | 'postgres', TestDatabase>> = {};
  beforeAll(async () => {
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const t = await openTestDatabase(dialect);
      await loadDemoData(t.db, { orders: 1500, endDate: '2025-12-31' });
      dbs[dialect] = t;
    }
  });
  afterAll(async () => {
    for (const t of Object.values(dbs)) await t.cleanup();
  });

  it('gives identical cells, subtotals and totals on SQLite and PostgreSQL, cell by cell', async () => {
    const a = await runPivot(dbs.sqlite!.db, PIVOT, options);
    const b = await runPivot(dbs.postgres!.db, PIVOT, options);
    expect(a.cells.length).toBeGreaterThan(50);
    expect(b.cells.length).toBe(a.cells.length);
    a.cells.forEach((cell, i) => expect(b.cells[i]).toEqual(cell));
  });

  const cellsAt = (p: PivotResult, rowLevel: number, columnLevel: number) => p.cells.filter((c) => c.rowLevel === rowLevel && c.columnLevel === columnLevel);

  it('re-evaluates ratio, average, distinct-count and max totals at each level (a sum of cells would differ)', async () => {
    const p = await runPivot(dbs.sqlite!.db, PIVOT, options);
    const grand = cellsAt(p, 0, 0)[0]!;
    const detail = cellsAt(p, 2, 1);
    const sum = (m: string) => detail.reduce((s, c) => s + (c.values[m] ?? 0), 0);
    // Additive: the grand total equals the sum of cells.
    expect(Math.round(grand.values.revenue! * 100)).toBe(Math.round(sum('revenue') * 100));
    // Ratio: the total is total margin / total revenue, not the sum (nor the mean) of cell percentages.
    const margin = await runReport(dbs.sqlite!.db, { cube: 'sales', measures: ['margin', 'revenue'] }, options);
    const expected = (Number(margin.rows[0]!.margin) / Number(margin.rows[0]!.revenue)) * 100;
    expect(grand.values.margin_pct).toBeCloseTo(expected, 9);
    expect(grand.values.margin_pct).not.toBeCloseTo(sum('margin_pct'), 0);
    // Distinct orders: an order with lines in two categories counts once in the total.
    expect(grand.values.orders).toBe(1500);
    expect(grand.values.orders!).toBeLessThan(sum('orders'));
    // Max is the max, not a sum.
    expect(grand.values.max_line).toBe(Math.max(...detail.map((c) => c.values.max_line ?? 0)));
  });

  /** Every level of the pivot equals a plain report grouped at that level (which never rolls anything up). */
  const expectLevelsMatchReports = async (dialect: 'sqlite' | 'postgres', definition: ReportDefinition, cubes: typeof ERP_CUBES) => {
    const db = dbs[dialect]!.db;
    const pivot = await runPivot(db, definition, { cubes });
    const rowRefs = definition.rows ?? [];
    const columnRefs = definition.columns ?? [];
    for (let rl = 0; rl <= rowRefs.length; rl++) {
      for (let cl = 0; cl <= columnRefs.length; cl++) {
        const keys = [...pivot.rows.slice(0, rl), ...pivot.columns.slice(0, cl)];
        const dimensions = [...rowRefs.slice(0, rl), ...columnRefs.slice(0, cl)];
        const flat = await runReport(db, { cube: definition.cube, measures: definition.measures, dimensions, filters: definition.filters ?? [] }, { cubes });
        const cells = cellsAt(pivot, rl, cl);
        expect(cells.length, `${dialect} ${rl}/${cl}`).toBe(flat.rows.length);
        const byKey = new Map(cells.map((c) => [JSON.stringify([...c.row.slice(0, rl), ...c.column.slice(0, cl)]), c]));
        for (const row of flat.rows) {
          const cell = byKey.get(JSON.stringify(keys.map((k) => row[k])));
          for (const m of definition.measures) {
            const expected = row[m] === null ? null : Number(row[m]);
            if (expected === null) expect(cell?.values[m], `${dialect} ${rl}/${cl} ${m}`).toBeNull();
            else expect(cell?.values[m], `${dialect} ${rl}/${cl} ${m}`).toBeCloseTo(expected, 9);
          }
        }
      }
    }
    return pivot;
  };

  it("every subtotal level equals a plain report grouped at that level, with or without the model's per-order hint", async () => {
    // Distinct counts roll up from the finest cells only across dimensions their key determines (BaseMeasure.determines);
    // a model without the hint must give the same numbers the slow way.
    const sales = ERP_CUBES.sales!;
    const withoutHints = {
      ...ERP_CUBES,
      sales: { ...sales, measures: Object.fromEntries(Object.entries(sales.measures).map(([k, m]) => [k, { ...m, determines: undefined }])) },
    } as typeof ERP_CUBES;
    const definition: ReportDefinition = { ...PIVOT, measures: ['revenue', 'margin_pct', 'orders', 'customers', 'avg_unit_price', 'min_line'] };
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const pivot = await expectLevelsMatchReports(dialect, definition, ERP_CUBES);
      expect(await runPivot(dbs[dialect]!.db, definition, { cubes: withoutHints })).toEqual(pivot);
    }
  });

  it('distinct counts with subtotals stay exact for a filtered count (keys left NULL), two column dimensions and a WHERE', async () => {
    // A filtered distinct count leaves its key NULL on the rows it skips; NULL is never counted, at no level.
    const sales = ERP_CUBES.sales!;
    const cubes = {
      ...ERP_CUBES,
      sales: {
        ...sales,
        measures: {
          ...sales.measures,
          paid_orders: {
            title: 'Paid orders',
            agg: 'count_distinct',
            sql: sql`l.order_id`,
            filter: sql`o.status = 'paid'`,
            format: 'integer',
            determines: ['order_date', 'region'],
          },
          products_sold: { title: 'Products sold', agg: 'count_distinct', sql: sql`l.product_id`, format: 'integer', determines: ['category'] },
        },
      },
    } as typeof ERP_CUBES;
    const definition: ReportDefinition = {
      cube: 'sales',
      rows: ['region'],
      columns: [{ field: 'order_date', grain: 'year' }, 'category'],
      measures: ['paid_orders', 'orders', 'products_sold', 'customers', 'avg_order_value'],
      filters: [{ field: 'status', op: 'neq', value: 'cancelled' }],
      subtotals: true,
    };
    const results = [];
    for (const dialect of ['sqlite', 'postgres'] as const) results.push(await expectLevelsMatchReports(dialect, definition, cubes));
    expect(results[1]!.cells).toEqual(results[0]!.cells);
    const grand = cellsAt(results[0]!, 0, 0)[0]!;
    expect(grand.values.paid_orders!).toBeGreaterThan(0);
    expect(grand.values.paid_orders!).toBeLessThan(grand.values.orders!);
  });

  it('measure filters (HAVING) apply at every subtotal level alike on both dialects', async () => {
    const definition: ReportDefinition = {
      ...PIVOT,
      filters: [
        { field: 'orders', op: 'gte', value: 20 },
        { field: 'margin_pct', op: 'lt', value: 60 },
      ],
    };
    const a = await runPivot(dbs.sqlite!.db, definition, options);
    const b = await runPivot(dbs.postgres!.db, definition, options);
    expect(b.cells).toEqual(a.cells);
    expect(a.cells.length).toBeGreaterThan(0);
    for (const cell of a.cells) expect(cell.values.orders!).toBeGreaterThanOrEqual(20);
  });

  it('percent of row, column and grand total', async () => {
    const p = await runPivot(dbs.postgres!.db, PIVOT, options);
    const rowTotals = cellsAt(p, 2, 0);
    const first = rowTotals[0]!;
    const inRow = cellsAt(p, 2, 1).filter((c) => JSON.stringify(c.row) === JSON.stringify(first.row));
    expect(inRow.reduce((s, c) => s + c.percent!.revenue!.row!, 0)).toBeCloseTo(100, 9);
    const columnTotals = cellsAt(p, 0, 1);
    expect(columnTotals.reduce((s, c) => s + c.percent!.revenue!.grand!, 0)).toBeCloseTo(100, 9);
    expect(cellsAt(p, 0, 0)[0]!.percent!.revenue!.column).toBe(100);
    // Non-additive measures get no percentage.
    expect(first.percent!.margin_pct).toBeUndefined();
  });

  it('flat reports: filters (WHERE and HAVING), sort by value, limit, relative ranges, comparison — same on both', async () => {
    const definition: ReportDefinition = {
      cube: 'sales',
      dimensions: ['region', { field: 'order_date', grain: 'quarter' }],
      measures: ['revenue', 'margin_pct', 'orders'],
      filters: [
        { field: 'status', op: 'in', values: ['invoiced', 'paid'] },
        { field: 'orders', op: 'gte', value: 3 },
        {
          or: [
            { field: 'category', op: 'contains', value: 'o' },
            { field: 'sku', op: 'starts_with', value: 'X_' },
          ],
        },
      ],
      dateRange: { relative: 'last_year' },
      asOf: '2025-06-30',
      sort: [{ field: 'revenue', direction: 'desc' }],
      limit: 7,
      compare: 'previous_year',
    };
    const a = await runReport(dbs.sqlite!.db, definition, options);
    const b = await runReport(dbs.postgres!.db, definition, options);
    expect(a.rows).toEqual(b.rows);
    expect(a.dateRange).toEqual({ from: '2024-01-01', to: '2024-12-31' });
    expect(a.compareRange).toEqual({ from: '2023-01-01', to: '2023-12-31' });
    expect(a.rows.length).toBeLessThanOrEqual(7);
    const revenues = a.rows.map((r) => Number(r.revenue));
    expect([...revenues].sort((x, y) => y - x)).toEqual(revenues);
    expect(a.rows.every((r) => Number(r.orders) >= 3)).toBe(true);
  });

  it('division by zero in a ratio is null, not an error', async () => {
    for (const t of Object.values(dbs)) {
      const r = await runReport(
        t.db,
        { cube: 'orders', dimensions: ['status'], measures: ['margin_pct', 'cancel_rate'], filters: [{ field: 'revenue', op: 'lt', value: 0.001 }] },
        options,
      );
      expect(r.rows).toEqual([]);
      const empty = await runReport(
        t.db,
        { cube: 'orders', measures: ['margin_pct', 'avg_order_value'], dateRange: { from: '1950-01-01', to: '1950-12-31' } },
        options,
      );
      expect(empty.rows[0]).toEqual({ margin_pct: null, avg_order_value: null });
    }
  });

  it('repeated runs come from the query cache until a write to a table they read', async () => {
    const db = dbs.sqlite!.db;
    const cache = new QueryCache(db);
    const run = () => runPivot(db, PIVOT, { cubes: ERP_CUBES, queryCache: cache });
    const first = await run();
    await run();
    expect(cache.hits).toBe(1);
    await db.kysely.updateTable('order_lines').set({ line_total_cents: 0 }).where('id', '=', 1).execute();
    const after = await run();
    expect(cache.misses).toBe(2);
    expect(after.cells.at(-1)!.values.revenue).toBeLessThan(first.cells.at(-1)!.values.revenue!);
  });
});
