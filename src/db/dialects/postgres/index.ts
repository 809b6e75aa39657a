export { sharedTypeParsers, parseInt8, parseNumeric, parseTimestamp } from './type-parsers.ts';
export { CurrentSchemaIntrospector, SchemaScopedPostgresDialect } from './current-schema-introspector.ts';
