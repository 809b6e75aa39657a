import type { TaskStore } from '../../backend.ts';
import type { SqliteStore } from './store.ts';

const LIVE = '(expire_at IS NULL OR expire_at > ?)';
const ttl = (ms: number): number => Math.max(1, Math.ceil(ms));

/** Escapes LIKE's wildcards so a prefix matches literally. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The task layer's key/value store on the same SQLite file as the queues (table `kv`). Expired keys
 * are invisible at once and removed lazily, so a TTL costs nothing until the key is touched again.
 */
export function createSqliteTaskStore(store: SqliteStore, namespace: string): TaskStore {
  const k = (key: string): string => namespace + key;
  const ensureOpen = (): void => {
    if (!store.db.isOpen) throw new Error('Connection is closed.');
  };
  const get = (key: string): string | null => {
    ensureOpen();
    return store.one<{ value: string }>(`SELECT value FROM kv WHERE key = ? AND ${LIVE}`, k(key), Date.now())?.value ?? null;
  };
  return {
    async get(key) {
      return get(key);
    },
    async getMany(keys) {
      return keys.map(get);
    },
    async set(key, value, ttlMs) {
      ensureOpen();
      store.tx(() =>
        store.run('INSERT OR REPLACE INTO kv (key, value, expire_at) VALUES (?, ?, ?)', k(key), value, ttlMs === undefined ? null : Date.now() + ttl(ttlMs)),
      );
    },
    async setIfAbsent(key, value, ttlMs) {
      ensureOpen();
      const now = Date.now();
      return store.tx(
        () =>
          store.run(
            `INSERT INTO kv (key, value, expire_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expire_at = excluded.expire_at
         WHERE kv.expire_at IS NOT NULL AND kv.expire_at <= ?`,
            k(key),
            value,
            now + ttl(ttlMs),
            now,
          ) > 0,
      );
    },
    async refreshIfEquals(key, expected, ttlMs) {
      ensureOpen();
      const now = Date.now();
      return store.tx(() => store.run(`UPDATE kv SET expire_at = ? WHERE key = ? AND value = ? AND ${LIVE}`, now + ttl(ttlMs), k(key), expected, now) > 0);
    },
    async deleteIfEquals(key, expected) {
      ensureOpen();
      return store.tx(() => store.run(`DELETE FROM kv WHERE key = ? AND value = ? AND ${LIVE}`, k(key), expected, Date.now()) > 0);
    },
    async increment(key, ttlMs) {
      ensureOpen();
      const now = Date.now();
      return store.tx(() => {
        const current = store.one<{ value: string }>(`SELECT value FROM kv WHERE key = ? AND ${LIVE}`, k(key), now);
        const next = (Number(current?.value ?? 0) || 0) + 1;
        if (current) store.run('UPDATE kv SET value = ? WHERE key = ?', String(next), k(key));
        else store.run('INSERT OR REPLACE INTO kv (key, value, expire_at) VALUES (?, ?, ?)', k(key), String(next), now + ttl(ttlMs));
        return next;
      });
    },
    async delete(key) {
      ensureOpen();
      store.tx(() => store.run('DELETE FROM kv WHERE key = ?', k(key)));
    },
    async scan(prefix) {
      ensureOpen();
      const now = Date.now();
      store.tx(() => store.run('DELETE FROM kv WHERE expire_at IS NOT NULL AND expire_at <= ?', now));
      return store
        .all<{ key: string; value: string }>(`SELECT key, value FROM kv WHERE key LIKE ? ESCAPE '\\' AND ${LIVE} ORDER BY key`, likePrefix(k(prefix)), now)
        .map((row) => ({ key: row.key.slice(namespace.length), value: row.value }));
    },
    async close() {
      // The connection belongs to the backend, which closes it.
    },
  };
}
