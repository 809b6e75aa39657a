/**
 * Batch writer against what a competent developer writes, and against the raw ceiling, on the same rows,
 * the same row count, the same connection and durability (SQLite `synchronous=full`, PostgreSQL defaults):
 * - row-by-row: one autocommit Kysely INSERT per row (what the seed's "before" looks like);
 * - one-transaction: single-row Kysely INSERTs inside one transaction;
 * - kysely-chunks: `insertInto().values([...])` in chunks of 1,000 rows inside one transaction;
 * - raw-ceiling (SQLite): `node:sqlite` prepared multi-row INSERTs in one transaction, no Kysely, no checks;
 * - copy / copy-parallel (PostgreSQL): COPY FROM STDIN on one connection, and split over as many
 *   connections as the writer uses (equal parallelism).
 * Contenders rotate per round; ratios are batch-writer ÷ contender per round.
 */
import { sql } from 'kysely';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { batchInsert, copyRows, migrateToLatest, openDatabase, type Db } from '../../src/db/index.ts';
import { ratioOfRounds, rotatedRounds, type Contender } from '../lib/rounds.ts';
import { spread, tidy, type Spread } from '../lib/stats.ts';

const COLUMNS = ['entry_date', 'account_code', 'debit_cents', 'credit_cents', 'reference', 'description'] as const;
type Row = { entry_date: string; account_code: string; debit_cents: number; credit_cents: number; reference: string; description: string };
const row = (i: number): Row => ({
  entry_date: '2026-01-01',
  account_code: i % 2 ? '1000' : '4000',
  debit_cents: i % 2 ? 100 + i : 0,
  credit_cents: i % 2 ? 0 : 100 + i,
  reference: `BENCH-${i}`,
  description: 'benchmark row',
});
const KYSELY_CHUNK = 1_000;
const RAW_CHUNK = 500;
/** The writer's default parallelism on PostgreSQL (src/db/batch): COPY gets as many connections. */
const WRITER_CONNECTIONS = 2;

export interface BatchBenchResult {
  summary: Record<string, Record<string, number>>;
  ratios: Record<string, Spread>;
  rounds: Record<string, number[]>;
}

function contenders(db: Db, rows: Row[]): Array<Contender<number>> {
  const timed = (name: string, write: () => Promise<unknown>): Contender<number> => ({
    name,
    async run() {
      await sql`delete from ledger_entries`.execute(db.kysely);
      const started = performance.now();
      await write();
      return rows.length / ((performance.now() - started) / 1000);
    },
  });
  const list = [
    timed('batch-writer', () => batchInsert(db, 'ledger_entries', rows)),
    timed('row-by-row', async () => {
      for (const r of rows) await db.kysely.insertInto('ledger_entries').values(r).execute();
    }),
    timed('one-transaction', () =>
      db.kysely.transaction().execute(async (trx) => {
        for (const r of rows) await trx.insertInto('ledger_entries').values(r).execute();
      }),
    ),
    timed('kysely-chunks', () =>
      db.kysely.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += KYSELY_CHUNK)
          await trx
            .insertInto('ledger_entries')
            .values(rows.slice(i, i + KYSELY_CHUNK))
            .execute();
      }),
    ),
  ];
  if (db.native.dialect === 'sqlite') {
    const writer = db.native.sqlite.writer.db;
    list.push(
      timed('raw-ceiling', async () => {
        const placeholders = (n: number) => Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?)').join(', ');
        const full = writer.prepare(`insert into ledger_entries (${COLUMNS.join(', ')}) values ${placeholders(RAW_CHUNK)}`);
        writer.exec('begin immediate');
        for (let i = 0; i < rows.length; i += RAW_CHUNK) {
          const chunk = rows.slice(i, i + RAW_CHUNK);
          const values = chunk.flatMap((r) => COLUMNS.map((c) => r[c]));
          (chunk.length === RAW_CHUNK ? full : writer.prepare(`insert into ledger_entries (${COLUMNS.join(', ')}) values ${placeholders(chunk.length)}`)).run(
            ...values,
          );
        }
        writer.exec('commit');
      }),
    );
  } else {
    const tuples = rows.map((r) => COLUMNS.map((c) => r[c]));
    list.push(timed('copy', () => copyRows(db, 'ledger_entries', COLUMNS, tuples)));
    const part = Math.ceil(tuples.length / WRITER_CONNECTIONS);
    list.push(
      timed('copy-parallel', () =>
        Promise.all(Array.from({ length: WRITER_CONNECTIONS }, (_, k) => copyRows(db, 'ledger_entries', COLUMNS, tuples.slice(k * part, (k + 1) * part)))),
      ),
    );
  }
  return list;
}

export async function batchBench(config: DatabaseConfig, rowCount: number, roundCount: number, log: (line: string) => void): Promise<BatchBenchResult> {
  const db = await openDatabase(config, { slowQueries: false });
  try {
    await migrateToLatest(db);
    const rows = Array.from({ length: rowCount }, (_, i) => row(i));
    const list = contenders(db, rows);
    const rounds = await rotatedRounds(list, {
      rounds: roundCount,
      onRound: (r, f) =>
        log(
          `${config.kind} round ${r + 1}: ${Object.entries(f)
            .map(([n, v]) => `${n} ${Math.round(v)}`)
            .join(', ')}`,
        ),
    });
    await sql`delete from ledger_entries`.execute(db.kysely);
    const summary = { [`rows_per_s_${config.kind}`]: Object.fromEntries(Object.entries(rounds).map(([n, v]) => [n, tidy(spread(v).median)])) };
    const ratios: Record<string, Spread> = {};
    for (const c of list)
      if (c.name !== 'batch-writer') ratios[`rows_per_s_${config.kind}: batch-writer / ${c.name}`] = ratioOfRounds(rounds, (v) => v, 'batch-writer', c.name);
    return { summary, ratios, rounds };
  } finally {
    await db.close();
  }
}
