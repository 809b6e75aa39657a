import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';

/** What demo data loaded before the segments were unified wrote, mapped to the API's segment of the same profile. */
const RENAMED: Readonly<Record<string, string>> = { retail: 'consumer', wholesale: 'mid-market', public: 'public-sector' };

/**
 * Customers loaded as demo data carried segments the API refuses (its GET answers broke the published
 * schema and a round-trip PATCH was a 400). Renames them in place; `version` is bumped so cached ETags
 * of those rows stop matching.
 */
export function customerSegments(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const [from, to] of Object.entries(RENAMED)) {
        await sql`update customers set segment = ${to}, version = version + 1 where segment = ${from}`.execute(db);
      }
    },
    // The old names were never valid API values; there is nothing to restore.
    async down() {},
  };
}
