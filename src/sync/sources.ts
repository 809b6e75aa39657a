import type { Selectable } from 'kysely';
import { Type, type Static } from 'typebox';
import type { Db } from '../db/index.ts';
import type { SyncSourcesTable } from '../db/schema.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { MASK, seal } from './secrets.ts';

const Path = Type.String({ maxLength: 200, pattern: '^$|^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$', description: 'Dotted path into a JSON body' });
const Field = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });
const HeaderName = Type.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" });

const Pagination = Type.Object(
  {
    /**
     * `link`: the next page's URL from the `Link: <…>; rel="next"` header or `next_field`; `cursor`: `next_field` holds a cursor sent back as `cursor_param`.
     */
    mode: Type.Union([Type.Literal('none'), Type.Literal('link'), Type.Literal('cursor')]),
    next_field: Type.Optional(Path),
    cursor_param: Type.Optional(Field),
  },
  { additionalProperties: false },
);
const Incremental = Type.Object(
  {
    /** `updated_at`: only records changed since the newest `field` of the last run (sent as `param`); `cursor`: resume at the last page's cursor. */
    mode: Type.Union([Type.Literal('none'), Type.Literal('updated_at'), Type.Literal('cursor')]),
    field: Type.Optional(Field),
    param: Type.Optional(Field),
  },
  { additionalProperties: false },
);
const Limits = Type.Object(
  {
    /** Per request, body included. */
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** Per response body. */
    max_bytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 512 * 1024 * 1024 })),
    max_pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    max_rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000_000 })),
    /** Retries of a page answered with 5xx, 429 or a broken connection. */
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  },
  { additionalProperties: false },
);

export const SyncSourceInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._\\-]*$' }),
    url: Type.String({ minLength: 8, maxLength: 2000 }),
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')]),
    target: Type.Union([Type.Literal('customers'), Type.Literal('products'), Type.Literal('staging')]),
    /** Where the records are in a JSON body (`data`, `result.items`); empty: the body is the array. */
    items_path: Type.Optional(Path),
    /** The record field that identifies a staging record (required for target `staging`). */
    key_field: Type.Optional(Field),
    /** Target field ← source field; without it a record is taken as it comes (minus the incremental field). */
    fields: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 100 }), Field, { maxProperties: 100 })),
    pagination: Type.Optional(Pagination),
    incremental: Type.Optional(Incremental),
    limits: Type.Optional(Limits),
    /** Sent as this header on every request to the source's origin; write-only, stored encrypted. `null` removes it, leaving it out keeps it. */
    credentials: Type.Optional(
      Type.Union([Type.Object({ header: HeaderName, value: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false }), Type.Null()]),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SyncSourceInput = Static<typeof SyncSourceInput>;

/** The resolved settings a run works with (defaults applied). */
export interface SourceSettings {
  items_path: string;
  key_field: string | null;
  fields: Record<string, string> | null;
  pagination: { mode: 'none' | 'link' | 'cursor'; next_field: string | null; cursor_param: string };
  incremental: { mode: 'none' | 'updated_at' | 'cursor'; field: string; param: string };
  limits: { timeout_ms: number; max_bytes: number; max_pages: number; max_rows: number; retries: number };
}

export type SyncSourceRow = Selectable<SyncSourcesTable>;

export interface SyncSourceView extends SourceSettings {
  id: number;
  name: string;
  url: string;
  format: 'json' | 'csv';
  target: 'customers' | 'products' | 'staging';
  credentials: { header: string; value: typeof MASK } | null;
  enabled: boolean;
  /** Where the next run continues. */
  state: { etag: string | null; last_modified: string | null; cursor: string | null; high_water: string | null };
  created_at: string;
  updated_at: string;
}

export function settingsOf(row: SyncSourceRow): SourceSettings {
  return JSON.parse(row.settings) as SourceSettings;
}

export function toView(row: SyncSourceRow): SyncSourceView {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    format: row.format,
    target: row.target,
    ...settingsOf(row),
    credentials: row.credential_header && row.credential_sealed ? { header: row.credential_header, value: MASK } : null,
    enabled: Number(row.enabled) === 1,
    state: { etag: row.etag, last_modified: row.last_modified, cursor: row.cursor, high_water: row.high_water },
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
  };
}

function resolveSettings(input: SyncSourceInput): SourceSettings {
  const issues: { field: string; message: string }[] = [];
  const url = parseUrl(input.url);
  if (!url) issues.push({ field: '/url', message: 'is not a URL' });
  else if (url.protocol !== 'http:' && url.protocol !== 'https:')
    issues.push({ field: '/url', message: `${url.protocol} URLs are not fetched; use http:// or https://` });
  else if (url.username || url.password) issues.push({ field: '/url', message: 'must not hold credentials; set `credentials` (stored encrypted)' });
  if (input.target === 'staging' && !input.key_field) issues.push({ field: '/key_field', message: 'is required for target staging' });
  const pagination = input.pagination ?? { mode: 'none' };
  if (input.format === 'csv' && (pagination.mode === 'cursor' || pagination.next_field))
    issues.push({ field: '/pagination', message: 'a CSV body has no fields: page CSV with the Link header (mode link, no next_field)' });
  if (pagination.mode === 'cursor' && !pagination.next_field) issues.push({ field: '/pagination/next_field', message: 'is required for cursor pagination' });
  const incremental = input.incremental ?? { mode: 'none' };
  if (incremental.mode === 'cursor' && pagination.mode !== 'cursor')
    issues.push({ field: '/incremental/mode', message: 'cursor needs cursor pagination (the run resumes at the last cursor)' });
  if (issues.length > 0) throw new ValidationError(`invalid sync source: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, issues);
  const limits = input.limits ?? {};
  return {
    items_path: input.items_path ?? '',
    key_field: input.key_field ?? null,
    fields: input.fields ?? null,
    pagination: { mode: pagination.mode, next_field: pagination.next_field ?? null, cursor_param: pagination.cursor_param ?? 'cursor' },
    incremental: { mode: incremental.mode, field: incremental.field ?? 'updated_at', param: incremental.param ?? 'updated_since' },
    limits: {
      timeout_ms: limits.timeout_ms ?? 30_000,
      max_bytes: limits.max_bytes ?? 20 * 1024 * 1024,
      max_pages: limits.max_pages ?? 1000,
      max_rows: limits.max_rows ?? 1_000_000,
      retries: limits.retries ?? 2,
    },
  };
}

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

function columns(input: SyncSourceInput, key: Buffer | undefined) {
  const base = {
    name: input.name,
    url: input.url,
    format: input.format,
    target: input.target,
    settings: JSON.stringify(resolveSettings(input)),
    enabled: input.enabled === false ? 0 : 1,
  };
  if (input.credentials === undefined) return base;
  if (input.credentials === null) return { ...base, credential_header: null, credential_sealed: null };
  return { ...base, credential_header: input.credentials.header.toLowerCase(), credential_sealed: seal(input.credentials.value, key) };
}

export async function createSource(db: Db, input: SyncSourceInput, key: Buffer | undefined): Promise<SyncSourceView> {
  await assertNameFree(db, input.name);
  const row = await db.kysely.insertInto('sync_sources').values(columns(input, key)).returningAll().executeTakeFirstOrThrow();
  return toView(row);
}

/** Replaces the source's settings; a changed URL, target or format also forgets where the last run stopped. */
export async function replaceSource(db: Db, id: number, input: SyncSourceInput, key: Buffer | undefined): Promise<SyncSourceView> {
  const current = await getSourceRow(db, id);
  await assertNameFree(db, input.name, id);
  const moved = current.url !== input.url || current.target !== input.target || current.format !== input.format;
  const row = await db.kysely
    .updateTable('sync_sources')
    .set({
      ...columns(input, key),
      ...(moved ? { etag: null, last_modified: null, cursor: null, high_water: null } : {}),
      updated_at: new Date().toISOString(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toView(row);
}

export async function deleteSource(db: Db, id: number): Promise<void> {
  await getSourceRow(db, id);
  // Runs and staged records go with their source (no reliance on SQLite's per-connection foreign-key setting).
  await db.kysely.transaction().execute(async (trx) => {
    await trx.deleteFrom('sync_runs').where('source_id', '=', id).execute();
    await trx.deleteFrom('sync_staging').where('source_id', '=', id).execute();
    await trx.deleteFrom('sync_sources').where('id', '=', id).execute();
  });
}

export async function getSourceRow(db: Db, id: number): Promise<SyncSourceRow> {
  const row = await db.kysely.selectFrom('sync_sources').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Sync source ${id}`);
  return row;
}

export async function listSources(db: Db): Promise<SyncSourceView[]> {
  return (await db.kysely.selectFrom('sync_sources').selectAll().orderBy('id').execute()).map(toView);
}

async function assertNameFree(db: Db, name: string, except?: number): Promise<void> {
  let query = db.kysely.selectFrom('sync_sources').select('id').where('name', '=', name);
  if (except !== undefined) query = query.where('id', '!=', except);
  if (await query.executeTakeFirst()) throw new ConflictError(`a sync source named "${name}" exists already`, { code: 'sync_source_exists' });
}
