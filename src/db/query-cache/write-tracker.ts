import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { AliasNode, DeleteQueryNode, InsertQueryNode, MergeQueryNode, RawNode, TableNode, UpdateQueryNode } from 'kysely';
import { tablesOf } from '../slow-queries/fingerprint.ts';

/**
 * Counts writes per table for every INSERT/UPDATE/DELETE/MERGE built with Kysely on this Db. The
 * query cache compares these versions to decide whether a cached read is still valid. A write bumps
 * the version both before it runs and after it returns, so a read that overlaps the write cannot
 * cache the old rows under the new version.
 */
/** `local`: written through this Db; `remote`: another process said so (see relayTableWrites). */
export type WriteOrigin = 'local' | 'remote';

export class WriteTracker implements KyselyPlugin {
  readonly #versions = new Map<string, number>();
  readonly #pending = new WeakMap<object, string[]>();
  readonly #listeners = new Set<(tables: readonly string[], origin: WriteOrigin) => void>();
  /** Version of a table never written; raised by touchAll so that even unseen tables change version. */
  #floor = 0;
  /** Tables written since the last COMMIT anywhere: a read that overlapped an open transaction may have cached pre-commit rows. */
  readonly #sinceCommit = new Set<string>();

  version(table: string): number {
    return this.#versions.get(table) ?? this.#floor;
  }

  /** Marks tables as written, for writes that bypass Kysely (bulk loads, raw SQL) or happened elsewhere. */
  touch(tables: readonly string[], origin: WriteOrigin = 'local'): void {
    for (const table of tables) this.#versions.set(table, this.version(table) + 1);
    for (const listener of this.#listeners) listener(tables, origin);
  }

  /** Every table counts as written (writes elsewhere may have been missed); tells no listener. */
  touchAll(): void {
    this.#floor++;
    for (const [table, version] of this.#versions) this.#versions.set(table, Math.max(version + 1, this.#floor));
  }

  onWrite(listener: (tables: readonly string[], origin: WriteOrigin) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Like onWrite, but called at most once per event-loop turn, with every table written during it
   * (from the given origins), for listeners whose work is I/O: a burst of writes makes one call.
   */
  onWritesPerTurn(listener: (tables: string[]) => void, origins: readonly WriteOrigin[] = ['local', 'remote']): () => void {
    const pending = new Set<string>();
    let scheduled = false;
    return this.onWrite((tables, origin) => {
      if (!origins.includes(origin)) return;
      for (const table of tables) pending.add(table);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const batch = [...pending];
        pending.clear();
        listener(batch);
      });
    });
  }

  /**
   * Called by the driver after every COMMIT: bumps the tables written since the previous commit
   * again, so a result read while the transaction was open (and cached under the versions it bumped
   * itself) is stale once the transaction's rows become visible. Autocommit writes also land here,
   * which only costs a spurious invalidation.
   */
  committed(): void {
    if (this.#sinceCommit.size === 0) return;
    const tables = [...this.#sinceCommit];
    this.#sinceCommit.clear();
    this.touch(tables);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const tables = writtenTables(args.node);
    if (tables.length > 0) {
      this.#pending.set(args.queryId, tables);
      for (const table of tables) this.#sinceCommit.add(table);
      this.touch(tables);
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const tables = this.#pending.get(args.queryId);
    if (tables) {
      this.#pending.delete(args.queryId);
      this.touch(tables);
    }
    return args.result;
  }
}

function writtenTables(node: RootOperationNode): string[] {
  if (InsertQueryNode.is(node)) return tableNames(node.into);
  if (UpdateQueryNode.is(node)) return tableNames(node.table);
  if (DeleteQueryNode.is(node)) return node.from.froms.flatMap(tableNames);
  if (MergeQueryNode.is(node)) return tableNames(node.into);
  // Raw sql`…` writes: the statement text names its table (best effort; values are parameters, not text).
  if (RawNode.is(node)) {
    const text = node.sqlFragments.join('?');
    return /^\s*(insert|update|delete|merge|truncate|replace)\b/i.test(text) ? tablesOf(text.replace(/^\s*truncate\s+(table\s+)?/i, 'update ')) : [];
  }
  return [];
}

function tableNames(node: OperationNode | undefined): string[] {
  if (!node) return [];
  if (TableNode.is(node)) return [node.table.identifier.name];
  if (AliasNode.is(node)) return tableNames(node.node);
  return [];
}
