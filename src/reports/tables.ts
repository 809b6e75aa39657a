import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Db, DatabaseSchema } from '../db/index.ts';

/** The report tables (migration 0004), typed here so the shared schema file stays untouched by this module. */
export type ReportTables = {
  report_definitions: {
    id: Generated<number>;
    name: string;
    description: string | null;
    kind: 'report' | 'pivot';
    shared: number;
    version: Generated<number>;
    created_at: ColumnType<string, string | undefined, string>;
    updated_at: ColumnType<string, string | undefined, string>;
  };
  report_definition_versions: {
    id: Generated<number>;
    definition_id: number;
    version: number;
    definition: string;
    created_at: ColumnType<string, string | undefined, string>;
  };
  report_files: {
    token: string;
    file_key: string;
    kind: string;
    filename: string;
    media_type: string;
    size_bytes: number;
    expires_at: string;
    created_at: ColumnType<string, string | undefined, string>;
  };
};

export type ReportDb = Kysely<DatabaseSchema & ReportTables>;

export function reportDb(db: Db): ReportDb {
  return db.kysely.withTables<ReportTables>();
}
