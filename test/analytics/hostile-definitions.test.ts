import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { compileReport, ERP_CUBES, resolveReport, type ReportDefinition } from '../../src/analytics/index.ts';

const resolve = (d: unknown) => resolveReport(d as ReportDefinition, ERP_CUBES, new Date('2025-06-15T12:00:00Z'));
const issueOf = (d: unknown) => {
  try {
    resolve(d);
  } catch (error) {
    const e = error as { status: number; issues: { field: string; message: string }[] };
    expect(e.status).toBe(400);
    return e.issues[0]!;
  }
  throw new Error('expected a 400');
};

describe('hostile and mistaken definitions get a 400 naming the field', () => {
  it('unknown cube, dimension, measure, segment, filter field, sort field', () => {
    expect(issueOf({ cube: 'users', measures: ['count'] }).field).toBe('cube');
    expect(issueOf({ cube: 'sales', measures: ['revenue', 'profit'] }).field).toBe('measures/1');
    expect(issueOf({ cube: 'sales', dimensions: ['planet'], measures: ['revenue'] }).field).toBe('dimensions/0');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], segments: ['vip'] }).field).toBe('segments/0');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], filters: [{ field: 'nope', op: 'eq', value: 1 }] }).field).toBe('filters/0/field');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], sort: [{ field: 'cost' }] }).field).toBe('sort/0/field');
  });

  it('SQL in names is an unknown field, never SQL', () => {
    const issue = issueOf({ cube: 'sales', dimensions: ['region; drop table orders; --'], measures: ['revenue'] });
    expect(issue.field).toBe('dimensions/0');
    expect(issue.message).toMatch(/unknown dimension/);
    expect(issueOf({ cube: 'sales', measures: ['revenue) from orders --'] }).field).toBe('measures/0');
    expect(issueOf({ cube: 'sales', measures: ['__proto__'] }).field).toBe('measures/0');
    expect(issueOf({ cube: 'constructor', measures: ['revenue'] }).field).toBe('cube');
  });

  it('values are bound parameters: a quote in a filter value never reaches the SQL text', () => {
    const report = resolve({ cube: 'sales', dimensions: ['region'], measures: ['revenue'], filters: [{ field: 'region', op: 'eq', value: "x' or '1'='1" }] });
    const compilers = {
      sqlite: new Kysely<unknown>({
        dialect: {
          createAdapter: () => new SqliteAdapter(),
          createDriver: () => new DummyDriver(),
          createIntrospector: (db) => new SqliteIntrospector(db),
          createQueryCompiler: () => new SqliteQueryCompiler(),
        },
      }),
      postgres: new Kysely<unknown>({
        dialect: {
          createAdapter: () => new PostgresAdapter(),
          createDriver: () => new DummyDriver(),
          createIntrospector: (db) => new PostgresIntrospector(db),
          createQueryCompiler: () => new PostgresQueryCompiler(),
        },
      }),
    };
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const compiled = compileReport(report, dialect).query.compile(compilers[dialect]);
      expect(compiled.sql).not.toContain("or '1'='1");
      expect(compiled.parameters).toContain("x' or '1'='1");
    }
  });

  it('10,000 dimensions or measures', () => {
    expect(issueOf({ cube: 'sales', dimensions: Array.from({ length: 10_000 }, () => 'region'), measures: ['revenue'] }).message).toMatch(
      /at most 8 dimensions/,
    );
    expect(issueOf({ cube: 'sales', measures: Array.from({ length: 10_000 }, () => 'revenue') }).message).toMatch(/at most 30 measures/);
  });

  it('a 10,000-year range, impossible dates, reversed ranges', () => {
    expect(issueOf({ cube: 'sales', measures: ['revenue'], dateRange: { from: '0001-01-01', to: '9999-12-31' } }).field).toBe('dateRange/from');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], dateRange: { from: '2025-02-30', to: '2025-03-01' } }).field).toBe('dateRange/from');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], dateRange: { from: '2025-03-01', to: '2025-01-01' } }).field).toBe('dateRange');
  });

  it('wrong value types and operators', () => {
    expect(issueOf({ cube: 'sales', measures: ['revenue'], filters: [{ field: 'order_date', op: 'gt', value: 5 }] }).field).toBe('filters/0/value');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], filters: [{ field: 'revenue', op: 'gt', value: 'lots' }] }).field).toBe('filters/0/value');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], filters: [{ field: 'revenue', op: 'contains', value: 'x' }] }).field).toBe('filters/0/op');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], filters: [{ field: 'region', op: 'in' }] }).field).toBe('filters/0/values');
    expect(
      issueOf({
        cube: 'sales',
        measures: ['revenue'],
        filters: [
          {
            or: [
              { field: 'region', op: 'eq', value: 'DE' },
              { field: 'revenue', op: 'gt', value: 1 },
            ],
          },
        ],
      }).field,
    ).toBe('filters/0');
    expect(issueOf({ cube: 'sales', dimensions: [{ field: 'region', grain: 'month' }], measures: ['revenue'] }).field).toBe('dimensions/0/grain');
    expect(issueOf({ cube: 'sales', measures: ['revenue'], timezone: 'Mars/Olympus' }).field).toBe('timezone');
  });

  it('relative ranges resolve from asOf', () => {
    const r = resolve({ cube: 'sales', measures: ['revenue'], dateRange: { relative: 'last_quarter' }, asOf: '2025-05-10' });
    expect(r.dateRange!.range).toEqual({ from: '2025-01-01', to: '2025-03-31' });
    const w = resolve({ cube: 'sales', measures: ['revenue'], dateRange: { relative: 'last_week' }, asOf: '2025-05-07' });
    expect(w.dateRange!.range).toEqual({ from: '2025-04-28', to: '2025-05-04' });
  });
});
