import { ConflictError, NotFoundError } from '../shared/errors.ts';
import type { ReportDefinition } from '../analytics/index.ts';
import type { ReportDb } from './tables.ts';

export interface SavedDefinition {
  id: number;
  name: string;
  description: string | null;
  kind: 'report' | 'pivot';
  shared: boolean;
  version: number;
  definition: ReportDefinition;
  created_at: string;
  updated_at: string;
}

export interface DefinitionInput {
  name: string;
  description?: string | undefined;
  shared?: boolean | undefined;
  definition: ReportDefinition;
}

const kindOf = (d: ReportDefinition) => (d.rows !== undefined || d.columns !== undefined ? 'pivot' : 'report');
const now = () => new Date().toISOString();

/** Saved report definitions; an update never overwrites: it adds version n+1 and keeps every earlier one. */
export class DefinitionStore {
  readonly #db: ReportDb;

  constructor(db: ReportDb) {
    this.#db = db;
  }

  async create(input: DefinitionInput): Promise<SavedDefinition> {
    return this.#db.transaction().execute(async (trx) => {
      const at = now();
      const row = await trx
        .insertInto('report_definitions')
        .values({
          name: input.name,
          description: input.description ?? null,
          kind: kindOf(input.definition),
          shared: input.shared ? 1 : 0,
          created_at: at,
          updated_at: at,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('report_definition_versions')
        .values({ definition_id: row.id, version: 1, definition: JSON.stringify(input.definition), created_at: at })
        .execute();
      return (await this.get(row.id, undefined, trx))!;
    });
  }

  async get(id: number, version?: number, db: ReportDb = this.#db): Promise<SavedDefinition | undefined> {
    const head = await db.selectFrom('report_definitions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!head) return undefined;
    const body = await db
      .selectFrom('report_definition_versions')
      .select(['definition', 'version'])
      .where('definition_id', '=', id)
      .where('version', '=', version ?? head.version)
      .executeTakeFirst();
    if (!body) return undefined;
    return { ...head, shared: head.shared === 1, version: body.version, definition: JSON.parse(body.definition) as ReportDefinition };
  }

  async list(limit = 100): Promise<Omit<SavedDefinition, 'definition'>[]> {
    const rows = await this.#db.selectFrom('report_definitions').selectAll().orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ ...r, shared: r.shared === 1 }));
  }

  async versions(id: number): Promise<{ version: number; created_at: string }[]> {
    return this.#db.selectFrom('report_definition_versions').select(['version', 'created_at']).where('definition_id', '=', id).orderBy('version').execute();
  }

  /** Adds a version; with `expectedVersion`, refuses (409) when someone saved in between. */
  async update(id: number, input: DefinitionInput, expectedVersion?: number): Promise<SavedDefinition> {
    return this.#db.transaction().execute(async (trx) => {
      const head = await trx.selectFrom('report_definitions').select('version').where('id', '=', id).executeTakeFirst();
      if (!head) throw new NotFoundError(`Report definition ${id}`);
      if (expectedVersion !== undefined && expectedVersion !== head.version)
        throw new ConflictError(`Report definition ${id} is at version ${head.version}, not ${expectedVersion}`, { code: 'version_conflict' });
      const version = head.version + 1;
      const at = now();
      const updated = await trx
        .updateTable('report_definitions')
        .set({
          name: input.name,
          description: input.description ?? null,
          kind: kindOf(input.definition),
          shared: input.shared ? 1 : 0,
          version,
          updated_at: at,
        })
        .where('id', '=', id)
        .where('version', '=', head.version)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new ConflictError(`Report definition ${id} changed while saving`, { code: 'version_conflict' });
      await trx
        .insertInto('report_definition_versions')
        .values({ definition_id: id, version, definition: JSON.stringify(input.definition), created_at: at })
        .execute();
      return (await this.get(id, version, trx))!;
    });
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.#db.deleteFrom('report_definitions').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
