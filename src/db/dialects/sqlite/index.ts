export { NodeSqliteDialect } from './node-sqlite-dialect.ts';
export { NodeSqliteHandles } from './node-sqlite-handles.ts';
export type { NodeSqliteOptions, SqliteHandle } from './node-sqlite-handles.ts';
export { toSqliteParameters, toSqliteValue } from './node-sqlite-connection.ts';
