import { Ajv, type AnySchema } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Bodies are validated strictly: no type coercion ("5" is not a number) and unknown fields are errors,
 * not silently dropped (Fastify's default removes them). Query strings and params arrive as text, so
 * those are coerced.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<AnySchema> {
  // allErrors: a client fixes every field in one round trip (the problem mapper caps how many it lists).
  const base = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false, allowUnionTypes: true } as const;
  const strictAjv = addFormats(new Ajv({ ...base, coerceTypes: false }));
  const coercingAjv = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
    return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<AnySchema>>;
  };
}
