import { sql } from 'kysely';
import type { DialectName } from '../../db/index.ts';
import type { Grain } from './dates.ts';
import type { SqlFragment } from './types.ts';

/**
 * The few expressions that differ between PostgreSQL and SQLite. Everything returns text `YYYY-MM-DD` for dates,
 * so both dialects hand back identical values.
 */
export interface SqlDialect {
  name: DialectName;
  /** A `date` column (PG date, SQLite text) truncated to the grain's first day. */
  dateBucket(expression: SqlFragment, grain: Grain): SqlFragment;
  /** A timestamp's calendar day in a time zone. */
  localDate(expression: SqlFragment, timeZone: string): SqlFragment;
  /** Plain date column as text. */
  dateText(expression: SqlFragment): SqlFragment;
  /** Sort key that orders text bytewise on both engines. */
  sortable(expression: SqlFragment): SqlFragment;
  /**
   * The join keyword. SQLite's CROSS JOIN keeps the written order: the fact table first, then each parent by its
   * primary key. Left to itself SQLite starts from a small parent (customers) and reaches the fact rows through
   * secondary indexes, about 4× the CPU on the 1M-order pivot. PostgreSQL plans hash joins on its own.
   */
  innerJoin: SqlFragment;
}

/** SQLite has no time-zone database: this function (registered per connection) uses the process's Intl data. */
export const SQLITE_LOCAL_DATE_FUNCTION = 'ai_stack_local_date';

export function sqlDialect(name: DialectName): SqlDialect {
  if (name === 'postgres') {
    return {
      name,
      dateBucket: (e, grain) =>
        grain === 'day' ? sql`to_char(${e}, 'YYYY-MM-DD')` : sql`to_char(date_trunc(${sql.lit(grain)}, (${e})::timestamp), 'YYYY-MM-DD')`,
      localDate: (e, tz) => sql`((${e}) at time zone ${tz})::date`,
      dateText: (e) => sql`to_char(${e}, 'YYYY-MM-DD')`,
      sortable: (e) => sql`(${e}) collate "C"`,
      innerJoin: sql`join`,
    };
  }
  return {
    name,
    dateBucket: (e, grain) => {
      switch (grain) {
        case 'day':
          return sql`date(${e})`;
        case 'week':
          return sql`date(${e}, 'weekday 0', '-6 days')`;
        case 'month':
          // Dates are ISO text: the month is a prefix (strftime parses every row's date, ~20 % of the pivot's CPU).
          return sql`substr(${e}, 1, 7) || '-01'`;
        case 'quarter':
          return sql`printf('%s-%02d-01', substr(${e}, 1, 4), ((cast(substr(${e}, 6, 2) as integer) - 1) / 3) * 3 + 1)`;
        case 'year':
          return sql`substr(${e}, 1, 4) || '-01-01'`;
      }
    },
    localDate: (e, tz) => sql`${sql.raw(SQLITE_LOCAL_DATE_FUNCTION)}(${e}, ${tz})`,
    dateText: (e) => e,
    sortable: (e) => e,
    innerJoin: sql`cross join`,
  };
}

/** The calendar day of an instant in a time zone, `YYYY-MM-DD` (for the SQLite function). */
export function localDateOf(instant: string, timeZone: string): string | null {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) return null;
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/** The UTC instant (ISO) at which a calendar day starts in a time zone. */
export function startOfDayUtc(day: string, timeZone: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  let instant = guess - offsetMs(guess, timeZone);
  instant = guess - offsetMs(instant, timeZone);
  return new Date(instant).toISOString();
}

function offsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}
