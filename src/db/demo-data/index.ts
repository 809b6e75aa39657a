import { sql } from 'kysely';
import { ConflictError, ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { generateDemoData } from './generate.ts';
import { loadIntoPostgres } from './load-postgres.ts';
import { loadIntoSqlite } from './load-sqlite.ts';
import { DEMO_TABLES, type DemoChunk, type DemoTable, type IdStart } from './tables.ts';

export interface DemoDataOptions {
  orders: number;
  /** Same seed (and same starting state) → the same rows, on either dialect. Default 42. */
  seed?: number;
  /** Last day of the generated history. Default '2026-11-30', so data never depends on today. */
  endDate?: string;
  /** Years of history. Default 3. */
  years?: number;
  /** Default max(50, orders / 40). */
  customers?: number;
  /** Default 500. */
  products?: number;
  /** Orders per transaction/COPY chunk. Default 10 000. */
  chunkOrders?: number;
  /**
   * The loader refuses to touch ERP tables that already hold rows, unless `append` is set: then it
   * adds new customers, products and orders after the existing ids (and keeps indexes and FKs live).
   */
  append?: boolean;
  onProgress?: (progress: DemoDataProgress) => void;
}

export interface DemoDataProgress {
  phase: DemoChunk['phase'];
  ordersDone: number;
  ordersTotal: number;
  rowsWritten: number;
}

export interface DemoDataReport {
  dialect: Db['dialect'];
  seed: number;
  rows: Record<DemoTable, number>;
  totalRows: number;
  durationMs: number;
}

const MAX_ORDERS = 20_000_000;

/** Fills the ERP tables with realistic, deterministic history (see docs/database.md). */
export async function loadDemoData(db: Db, options: DemoDataOptions): Promise<DemoDataReport> {
  const settings = validate(options);
  const started = performance.now();
  const ids = await nextIds(db);
  const isEmpty = Object.values(ids).every((id) => id === 1);
  if (!isEmpty && !options.append) {
    throw new ConflictError('The ERP tables already hold data; load demo data into an empty database or pass append: true', { code: 'demo_data_not_empty' });
  }
  const rows = Object.fromEntries(DEMO_TABLES.map((table) => [table, 0])) as Record<DemoTable, number>;
  let rowsWritten = 0;
  const onChunk = (chunk: DemoChunk): void => {
    for (const { table, rows: written } of chunk.tables) {
      rows[table] += written.length;
      rowsWritten += written.length;
    }
    options.onProgress?.({ phase: chunk.phase, ordersDone: chunk.ordersDone, ordersTotal: settings.orders, rowsWritten });
  };
  const chunks = generateDemoData({ ...settings, ids });
  if (db.native.dialect === 'sqlite') await loadIntoSqlite(db.native.sqlite, chunks, isEmpty, onChunk);
  else await loadIntoPostgres(db.native.pool, chunks, isEmpty, onChunk);
  return { dialect: db.dialect, seed: settings.seed, rows, totalRows: rowsWritten, durationMs: Math.round(performance.now() - started) };
}

function validate(options: DemoDataOptions) {
  const issues: { field: string; message: string }[] = [];
  const integer = (field: string, value: unknown, min: number, max: number): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      issues.push({ field, message: `must be an integer from ${min} to ${max}` });
      return min;
    }
    return value;
  };
  const orders = integer('orders', options.orders, 0, MAX_ORDERS);
  const settings = {
    orders,
    seed: integer('seed', options.seed ?? 42, 0, 2 ** 32 - 1),
    years: integer('years', options.years ?? 3, 1, 30),
    customers: integer('customers', options.customers ?? Math.max(50, Math.round(orders / 40)), 1, 5_000_000),
    products: integer('products', options.products ?? 500, 1, 1_000_000),
    chunkOrders: integer('chunkOrders', options.chunkOrders ?? 10_000, 1, 1_000_000),
    endDate: options.endDate ?? '2026-11-30',
  };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(settings.endDate) || Number.isNaN(Date.parse(settings.endDate))) {
    issues.push({ field: 'endDate', message: 'must be a date in YYYY-MM-DD form' });
  }
  if (issues.length > 0) throw new ValidationError('Invalid demo-data options', issues);
  return settings;
}

/** max(id)+1 per demo table: 1 everywhere on an empty database. */
async function nextIds(db: Db): Promise<IdStart> {
  const entries = await Promise.all(
    DEMO_TABLES.map(async (table) => {
      const { rows } = await sql<{ next: number | string }>`select coalesce(max(id), 0) + 1 as next from ${sql.table(table)}`.execute(db.kysely);
      return [table, Number(rows[0]?.next ?? 1)] as const;
    }),
  );
  return Object.fromEntries(entries) as IdStart;
}

export { DEMO_TABLES } from './tables.ts';
export type { DemoTable } from './tables.ts';
