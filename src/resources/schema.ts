import { Type, type TProperties, type TUnsafe } from 'typebox';

/** A string enum as JSON Schema `enum`, typed as the union of its values (Type.Union over a mapped array loses them). */
export function stringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** The stored form of a resource: its fields plus the id, version and timestamps every versioned table has. */
export function versionedItem<F extends TProperties>(fields: F) {
  return Type.Object({ id: Type.Integer(), ...fields, version: Type.Integer(), created_at: Type.String(), updated_at: Type.String() });
}

/** A PATCH body: any non-empty subset of the fields a client may change (identity fields left out), nothing else. */
export function patchOf<F extends TProperties, K extends keyof F & string>(fields: F, immutable: readonly K[]) {
  return Type.Partial(Type.Omit(Type.Object(fields), [...immutable]), { additionalProperties: false, minProperties: 1 });
}
