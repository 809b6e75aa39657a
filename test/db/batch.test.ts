import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchInsert, BatchWriteError, copyRows, MAX_PARAMETERS } from '../../src/db/index.ts';
import { ValidationError } from '../../src/shared/errors.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';

const product = (i: number, extra: Record<string, unknown> = {}) => ({
  sku: `SKU-${i}`,
  name: `Product ${i}`,
  category: 'test',
  unit_cost_cents: 100,
  unit_price_cents: 150,
  ...extra,
});

async function caught(promise: Promise<unknown>): Promise<BatchWriteError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BatchWriteError) return error;
    throw error;
  }
  throw new Error('expected a BatchWriteError');
}

describe.each(DIALECTS)('batch writer (%s)', (dialect) => {
  let t: TestDatabase;
  const count = async () =>
    Number(
      (
        await t.db.kysely
          .selectFrom('products')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
  });
  beforeEach(async () => {
    await t.db.kysely.deleteFrom('products').execute();
  });
  afterAll(async () => t.cleanup());

  it('writes in chunks with progress events', async () => {
    const progress: number[] = [];
    const result = await batchInsert(
      t.db,
      'products',
      Array.from({ length: 2500 }, (_, i) => product(i)),
      { chunkSize: 1000, onProgress: (p) => progress.push(p.rowsWritten) },
    );
    expect(result).toEqual({ rowsWritten: 2500, chunks: 3 });
    expect(progress).toEqual([1000, 2000, 2500]);
    expect(await count()).toBe(2500);
    // Timed like every other statement: one fingerprint for the chunks, a short redacted sample.
    // Plain inserts on PostgreSQL are loaded with COPY, chunk by chunk.
    const head = dialect === 'postgres' ? 'copy "products"' : 'insert into "products"';
    const stats = t.db.slowQueries!.getSlowQueries({ all: true, limit: 1000 }).find((s) => s.query.startsWith(head));
    expect(stats).toMatchObject({ calls: 3, errors: 0, tables: ['products'] });
    expect(stats!.sampleParameters).toHaveLength(51);
    expect(stats!.sampleParameters.at(-1)).toMatch(/^<\d+ more>$/);
  });

  it('keeps every statement within the dialect parameter limit', async () => {
    const rows = Array.from({ length: 8000 }, (_, i) => product(i));
    const perStatement = Math.floor(MAX_PARAMETERS[dialect] / 5);
    const result = await batchInsert(t.db, 'products', rows, { chunkSize: 1_000_000 });
    expect(result.chunks).toBe(Math.ceil(8000 / perStatement));
    expect(await count()).toBe(8000);
  });

  it('reports the failing row by position and leaves no partial chunk behind', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => product(i));
    rows[17] = product(3); // duplicate of a row committed in the first chunk
    const error = await caught(batchInsert(t.db, 'products', rows, { chunkSize: 10 }));
    expect(error.rowIndex).toBe(17);
    expect(error.committedRows).toBe(10);
    expect(error.message).toContain('row 17');
    expect(error.status).toBe(409);
    expect(await count()).toBe(10);
  });

  it('commits the earlier chunks of a transaction when a later chunk in it fails, and names the row', async () => {
    // One connection groups chunks into one transaction (a long commit interval: all four chunks);
    // with commitEveryMs 0 every chunk commits alone. Either way the same prefix is committed.
    for (const commitEveryMs of [60_000, 0]) {
      await t.db.kysely.deleteFrom('products').execute();
      const rows = Array.from({ length: 40 }, (_, i) => product(i));
      rows[27] = product(5);
      const progress: number[] = [];
      const error = await caught(
        batchInsert(t.db, 'products', rows, { chunkSize: 10, parallelism: 1, commitEveryMs, onProgress: (p) => progress.push(p.rowsWritten) }),
      );
      expect(error.rowIndex).toBe(27);
      expect(error.committedRows).toBe(20);
      expect(error.status).toBe(409);
      expect(progress).toEqual([10, 20]);
      expect(await count()).toBe(20);
      const skus = await t.db.kysely.selectFrom('products').select('sku').execute();
      expect(new Set(skus.map((r) => r.sku))).toEqual(new Set(rows.slice(0, 20).map((r) => r.sku)));
    }
    await expect(batchInsert(t.db, 'products', [product(1)], { commitEveryMs: -1 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('finds a failing row inside the same chunk and a check violation; atomic mode commits nothing', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => product(i));
    rows[6] = product(2);
    const duplicate = await caught(batchInsert(t.db, 'products', rows, { atomic: true, chunkSize: 4 }));
    expect(duplicate.rowIndex).toBe(6);
    expect(duplicate.committedRows).toBe(0);
    expect(await count()).toBe(0);
    const negative = Array.from({ length: 5 }, (_, i) => product(i, i === 4 ? { unit_price_cents: -1 } : {}));
    const check = await caught(batchInsert(t.db, 'products', negative));
    expect(check.rowIndex).toBe(4);
    expect(check.cause).toBeInstanceOf(ValidationError);
    expect(await count()).toBe(0);
  });

  it('commits chunks in order when they run on several connections, and judges a collision between chunks on one', async () => {
    const progress: number[] = [];
    await batchInsert(
      t.db,
      'products',
      Array.from({ length: 95 }, (_, i) => product(i)),
      { chunkSize: 10, parallelism: 3, onProgress: (p) => progress.push(p.chunksDone) },
    );
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await count()).toBe(95);
    await t.db.kysely.deleteFrom('products').execute();
    // Chunk 1 starts with chunk 0's last key and ends with its first: run side by side, the two
    // transactions wait on each other (a deadlock the server breaks by killing one of them).
    const rows = Array.from({ length: 30 }, (_, i) => product(i));
    rows[10] = product(9);
    rows[19] = product(0);
    const error = await caught(batchInsert(t.db, 'products', rows, { chunkSize: 10, parallelism: 2 }));
    expect(error.rowIndex).toBe(10);
    expect(error.committedRows).toBe(10);
    expect(error.status).toBe(409);
    expect(await count()).toBe(10);
  });

  it('upserts: update chosen columns on conflict, or do nothing', async () => {
    await batchInsert(t.db, 'products', [product(1), product(2)]);
    await batchInsert(t.db, 'products', [product(1, { name: 'Renamed' }), product(3)], { onConflict: { columns: ['sku'], update: ['name'] } });
    await batchInsert(t.db, 'products', [product(2, { name: 'Ignored' })], { onConflict: { columns: ['sku'] } });
    const names = await t.db.kysely.selectFrom('products').select(['sku', 'name']).orderBy('sku').execute();
    expect(names).toEqual([
      { sku: 'SKU-1', name: 'Renamed' },
      { sku: 'SKU-2', name: 'Product 2' },
      { sku: 'SKU-3', name: 'Product 3' },
    ]);
  });

  it('rejects malformed batches before touching the database', async () => {
    expect(await batchInsert(t.db, 'products', [])).toEqual({ rowsWritten: 0, chunks: 0 });
    await expect(batchInsert(t.db, 'products', [product(1), { sku: 'x' } as never])).rejects.toBeInstanceOf(ValidationError);
    await expect(batchInsert(t.db, 'products', [{} as never])).rejects.toBeInstanceOf(ValidationError);
    for (const options of [{ chunkSize: 0 }, { chunkSize: Number.NaN }, { chunkSize: 2.5 }, { parallelism: -1 }, { parallelism: Infinity }]) {
      await expect(batchInsert(t.db, 'products', [product(1)], options)).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(batchInsert(t.db, 'products', [{ 'sku") values (1); drop table products; --': 'x' } as never])).rejects.toBeInstanceOf(ValidationError);
    await expect(batchInsert(t.db, 'products', [product(1)], { onConflict: { columns: ['sku) do nothing; --'] } })).rejects.toBeInstanceOf(ValidationError);
    await expect(copyRows(t.db, 'products', ['sku; drop table products'], [['x']])).rejects.toBeInstanceOf(ValidationError);
    await expect(copyRows(t.db, 'products', ['sku', 'name'], [['only one value']])).rejects.toBeInstanceOf(ValidationError);
    expect(await count()).toBe(0);
  });

  it('rejects COPY rows with values COPY cannot carry, and names the row a COPY failed at', async () => {
    const columns = ['sku', 'name', 'category', 'unit_cost_cents', 'unit_price_cents'];
    for (const bad of [[['S', 'n', 'c', 1, true]], [['S', 'n', 'c', 1, Number.NaN]], [['S', 'n', 'c', 1, { toString: () => 'x' }]], ['not a row']]) {
      await expect(copyRows(t.db, 'products', columns, bad as never)).rejects.toBeInstanceOf(ValidationError);
    }
    const rows = Array.from({ length: 6 }, (_, i) => [`K-${i}`, `Product ${i}`, 'c', 1, i === 4 ? -5 : 2]);
    const error = await caught(copyRows(t.db, 'products', columns, rows));
    expect(error.rowIndex).toBe(4);
    expect(error.committedRows).toBe(0);
    expect(error.cause).toBeInstanceOf(ValidationError);
    expect(await count()).toBe(0);
  });

  it('copies rows in bulk, keeping tabs, newlines and backslashes intact', async () => {
    const tricky = 'tab\there\nnew line \\N back\\slash';
    await copyRows(
      t.db,
      'products',
      ['sku', 'name', 'category', 'unit_cost_cents', 'unit_price_cents'],
      [
        ['C-1', tricky, 'c', 1, 2],
        ['C-2', 'plain', 'c', 3, 4],
      ],
    );
    const row = await t.db.kysely.selectFrom('products').select('name').where('sku', '=', 'C-1').executeTakeFirstOrThrow();
    expect(row.name).toBe(tricky);
    expect(await count()).toBe(2);
  });
});
