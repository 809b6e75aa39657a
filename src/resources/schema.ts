import { Type, type TUnsafe } from 'typebox';

/** A string enum as JSON Schema `enum`, typed as the union of its values (Type.Union over a mapped array loses them). */
export function stringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
