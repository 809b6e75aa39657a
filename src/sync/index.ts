// ai-stack/sync: external data sources (HTTP JSON/CSV) pulled into customers, products or a staging table by `sync.sync_external_data`.
export { createSyncTask, SYNC_EXTERNAL_DATA_TASK } from './task.ts';
export { syncAdminRoutes, type SyncRoutesOptions } from './routes.ts';
export { runSync, type SyncDeps, type SyncRunResult, type Rejection } from './run.ts';
export { SyncFetchError } from './read-source.ts';
export { createSource, replaceSource, deleteSource, listSources, SyncSourceInput, type SyncSourceView } from './sources.ts';
export { CredentialKeyMissingError, MASK } from './secrets.ts';
