import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { stringify } from 'safe-stable-stringify';
import { customerColumns, CustomerCreate, productColumns, ProductCreate } from '../erp/index.ts';
import type { SourceSettings, SyncSourceRow } from './sources.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
// The API's own settings (src/http/validation.ts): strict types for JSON; CSV cells are text, so CSV coerces.
const base = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false, allowUnionTypes: true } as const;
const strictAjv = addFormats(new Ajv({ ...base, coerceTypes: false }));
const coercingAjv = addFormats(new Ajv({ ...base, coerceTypes: true }));
const validators = {
  json: { customers: strictAjv.compile(CustomerCreate), products: strictAjv.compile(ProductCreate) },
  csv: { customers: coercingAjv.compile(CustomerCreate), products: coercingAjv.compile(ProductCreate) },
};

const MAX_STAGED_BYTES = 64 * 1024;

export type TargetTable = 'customers' | 'products' | 'sync_staging';

/** A validated record as the columns it is written with, minus bookkeeping (version, updated_at). */
export type TargetRow = Record<string, string | number | null>;

export interface Target {
  table: TargetTable;
  /** Conflict target of the upsert, and what identifies a record across runs. */
  keyColumns: readonly string[];
  /** Columns compared to tell an update from an unchanged record, and overwritten on update. */
  dataColumns: readonly string[];
  /** The row to write, or why the record is refused. */
  toRow(record: unknown): { row: TargetRow; key: string } | { reasons: string[]; key: string | null };
}

/** How one source's records become rows of its target, validated with the API's schemas. */
export function targetFor(source: SyncSourceRow, settings: SourceSettings): Target {
  const map = (record: Record<string, unknown>) => mapFields(record, settings, source.target !== 'staging');
  if (source.target === 'staging') {
    const keyField = settings.key_field as string;
    return {
      table: 'sync_staging',
      keyColumns: ['source_id', 'record_key'],
      dataColumns: ['data'],
      toRow(record) {
        if (!isPlainObject(record)) return { reasons: ['is not an object'], key: null };
        const mapped = map(record);
        const key = mapped[keyField];
        if ((typeof key !== 'string' && typeof key !== 'number') || String(key).length === 0 || String(key).length > 200)
          return { reasons: [`/${keyField} must be a non-empty string or number of at most 200 characters`], key: null };
        // Sorted keys: the same record always serialises the same, so an unchanged one compares equal.
        const data = stringify(mapped) ?? '{}';
        if (Buffer.byteLength(data) > MAX_STAGED_BYTES) return { reasons: [`is larger than ${MAX_STAGED_BYTES} bytes as JSON`], key: String(key) };
        return { row: { source_id: source.id, record_key: String(key), data }, key: String(key) };
      },
    };
  }
  const validate = validators[source.format][source.target];
  const [keyField, columnsOf] =
    source.target === 'customers'
      ? (['code', (r: unknown) => customerColumns(r as CustomerCreate)] as const)
      : (['sku', (r: unknown) => productColumns(r as ProductCreate)] as const);
  const dataColumns =
    source.target === 'customers'
      ? ['name', 'email', 'country', 'city', 'segment', 'credit_limit_cents', 'payment_terms_days']
      : ['name', 'category', 'unit_cost_cents', 'unit_price_cents', 'active'];
  return {
    table: source.target,
    keyColumns: [keyField],
    dataColumns,
    toRow(record) {
      if (!isPlainObject(record)) return { reasons: ['is not an object'], key: null };
      const mapped = map(record);
      const key = typeof mapped[keyField] === 'string' || typeof mapped[keyField] === 'number' ? String(mapped[keyField]) : null;
      if (!validate(mapped)) return { reasons: reasonsOf(validate), key };
      return { row: columnsOf(mapped), key: String(mapped[keyField]) };
    },
  };
}

/** Target field ← source field when a mapping is set; otherwise the record minus the incremental bookkeeping field. */
function mapFields(record: Record<string, unknown>, settings: SourceSettings, dropIncremental: boolean): Record<string, unknown> {
  if (settings.fields) {
    const out: Record<string, unknown> = {};
    for (const [target, from] of Object.entries(settings.fields)) if (Object.hasOwn(record, from)) out[target] = record[from];
    return out;
  }
  const out = { ...record };
  if (dropIncremental && settings.incremental.mode === 'updated_at') delete out[settings.incremental.field];
  return out;
}

/** Ajv's errors as the API words them, without the noise of a nullable field's other branch (`must be null`, `must match a schema in anyOf`). */
function reasonsOf(validate: ValidateFunction): string[] {
  const errors = validate.errors ?? [];
  const specific = errors.filter((e: ErrorObject) => {
    if (e.keyword === 'anyOf') return false;
    const nullBranch = e.keyword === 'type' && e.params.type === 'null';
    return !nullBranch || !errors.some((other) => other !== e && other.instancePath === e.instancePath && other.keyword !== 'anyOf');
  });
  const reasons = (specific.length > 0 ? specific : errors).map((e: ErrorObject) => {
    if (e.keyword === 'additionalProperties') return `${e.instancePath}/${String(e.params.additionalProperty)} is not a known field`;
    if (e.keyword === 'required') return `${e.instancePath}/${String(e.params.missingProperty)} is required`;
    return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`;
  });
  return [...new Set(reasons)].slice(0, 5);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Column values compare as text: PostgreSQL returns bigint as a string, SQLite as a number. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  return asText(a) === asText(b);
}

function asText(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean'
      ? String(value)
      : JSON.stringify(value);
}
