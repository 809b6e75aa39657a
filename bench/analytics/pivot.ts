import { join } from 'node:path';
import pg from 'pg';
import { ERP_CUBES, runPivot, type ReportDefinition } from '../../src/analytics/index.ts';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { loadDemoData, migrateToLatest, openDatabase, QueryCache } from '../../src/db/index.ts';
import { mediansOf, rotatedRounds } from '../lib/rounds.ts';
import type { Summary } from '../lib/results.ts';
import { spread, tidy } from '../lib/stats.ts';

/** The issue's pivot: month × region × product category; revenue, margin % and order count; every subtotal. */
export const PIVOT: ReportDefinition = {
  cube: 'sales',
  rows: [{ field: 'order_date', grain: 'month' }, 'region'],
  columns: ['category'],
  measures: ['revenue', 'margin_pct', 'orders'],
  subtotals: true,
};

interface PivotFigures {
  /** First run on a new connection with an empty query cache. */
  coldMs: number;
  coldCpuMs: number;
  /** A second run on that connection, still without the query cache. */
  uncachedMs: number;
  /** From the query cache (phase 1's, invalidated by writes). */
  cachedMs: number;
  cells: number;
}

const ADMIN_URL = 'postgres://root@127.0.0.1:5432/test';

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/**
 * The pivot on both dialects over the same demo data, rotated rounds. Each round opens a new connection
 * (a new SQLite page cache, a new PostgreSQL backend), so "cold" means an empty query cache and no
 * connection-level warmth; the operating system's file cache and PostgreSQL's shared buffers stay warm.
 */
export async function pivotPart(work: string, orders: number, rounds: number) {
  const schema = `bench_analytics_${process.pid}`;
  const configs: Record<'ai-stack-sqlite' | 'ai-stack-postgres', DatabaseConfig> = {
    'ai-stack-sqlite': { kind: 'sqlite', file: join(work, 'demo.db') },
    'ai-stack-postgres': { kind: 'postgres', url: `${ADMIN_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, poolSize: 4 },
  };
  await adminQuery(`create schema ${schema}`);
  try {
    for (const [name, config] of Object.entries(configs)) {
      const db = await openDatabase(config, { slowQueries: false });
      try {
        await migrateToLatest(db);
        const t0 = performance.now();
        await loadDemoData(db, { orders });
        console.error(`pivot: ${orders} demo orders into ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        await db.close();
      }
    }
    const byName = await rotatedRounds(
      Object.entries(configs).map(([name, config]) => ({
        name,
        async run(): Promise<PivotFigures> {
          const db = await openDatabase(config, { slowQueries: false });
          try {
            const cache = new QueryCache(db);
            const c0 = performance.now();
            const cpu0 = process.cpuUsage();
            const cold = await runPivot(db, PIVOT, { cubes: ERP_CUBES, queryCache: cache });
            const coldMs = performance.now() - c0;
            const cpu = process.cpuUsage(cpu0);
            const u0 = performance.now();
            await runPivot(db, PIVOT, { cubes: ERP_CUBES });
            const uncachedMs = performance.now() - u0;
            const h0 = performance.now();
            await runPivot(db, PIVOT, { cubes: ERP_CUBES, queryCache: cache });
            return { coldMs, coldCpuMs: (cpu.user + cpu.system) / 1000, uncachedMs, cachedMs: performance.now() - h0, cells: cold.cells.length };
          } finally {
            await db.close();
          }
        },
      })),
      { rounds, warmup: false, onRound: (r, f) => console.error(`pivot round ${r + 1}:`, JSON.stringify(f)) },
    );
    const cold = mediansOf(byName, (f) => f.coldMs);
    const uncached = mediansOf(byName, (f) => f.uncachedMs);
    const cached = mediansOf(byName, (f) => f.cachedMs);
    const cpu = mediansOf(byName, (f) => f.coldCpuMs);
    const summary: Summary = {
      pivot_1m_orders_ms: {
        'ai-stack-sqlite': Math.round(cold['ai-stack-sqlite']!),
        'ai-stack-sqlite-uncached-median': Math.round(uncached['ai-stack-sqlite']!),
        'ai-stack-sqlite-cached': tidy(cached['ai-stack-sqlite']!),
        'ai-stack-sqlite-cold-cpu': Math.round(cpu['ai-stack-sqlite']!),
        'sqlite-cells': byName['ai-stack-sqlite']?.[0]?.cells ?? 0,
        'ai-stack-postgres': Math.round(cold['ai-stack-postgres']!),
        'ai-stack-postgres-uncached-median': Math.round(uncached['ai-stack-postgres']!),
        'ai-stack-postgres-cached': tidy(cached['ai-stack-postgres']!),
        'postgres-cells': byName['ai-stack-postgres']?.[0]?.cells ?? 0,
      },
    };
    const cells = new Set(Object.values(byName).flatMap((figures) => figures.map((f) => f.cells)));
    return {
      summary,
      rounds: byName,
      ratios: {
        'pivot_cold_ms: ai-stack-sqlite / ai-stack-postgres': spread(
          (byName['ai-stack-sqlite'] ?? []).map((f, i) => f.coldMs / (byName['ai-stack-postgres']?.[i]?.coldMs ?? Number.NaN)),
        ),
      },
      settings: {
        orders,
        rounds,
        definition: PIVOT,
        cold: 'first run on a new connection, empty query cache (OS file cache and PostgreSQL shared buffers warm)',
        postgres: 'PostgreSQL defaults, pool of 4',
        sameCellsOnBothDialects: cells.size === 1,
      },
    };
  } finally {
    await adminQuery(`drop schema if exists ${schema} cascade`);
  }
}
