import { scanPage, type RedisClient } from '../../../shared/redis.ts';
import type { TaskStore } from '../../backend.ts';

// Compare-and-act scripts: a lease must only be renewed or released by the process that holds it.
const REFRESH_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const DELETE_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const INCREMENT_WITH_TTL = `local v = redis.call('INCR', KEYS[1]) if v == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return v`;

/** Escapes SCAN's glob characters so a prefix matches literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** TaskStore over one Redis client; every key is namespaced under `namespace`. */
export function createRedisTaskStore(client: RedisClient, namespace: string): TaskStore {
  const k = (key: string): string => namespace + key;
  return {
    async get(key) {
      return client.get(k(key));
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      return client.mget(keys.map(k));
    },
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await client.set(k(key), value);
      else await client.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await client.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
    async refreshIfEquals(key, expected, ttlMs) {
      return Number(await client.eval(REFRESH_IF_EQUALS, 1, k(key), expected, String(Math.max(1, Math.ceil(ttlMs))))) === 1;
    },
    async deleteIfEquals(key, expected) {
      return Number(await client.eval(DELETE_IF_EQUALS, 1, k(key), expected)) === 1;
    },
    async increment(key, ttlMs) {
      return Number(await client.eval(INCREMENT_WITH_TTL, 1, k(key), String(Math.max(1, Math.ceil(ttlMs)))));
    },
    async delete(key) {
      await client.del(k(key));
    },
    async scan(prefix) {
      const found: string[] = [];
      let cursor = '0';
      do {
        const page = await scanPage(client, cursor, `${globEscape(k(prefix))}*`, 500);
        cursor = page.cursor;
        found.push(...page.keys);
      } while (cursor !== '0');
      if (found.length === 0) return [];
      const values = await client.mget(found);
      const out: Array<{ key: string; value: string }> = [];
      found.forEach((full, i) => {
        const value = values[i];
        if (value != null) out.push({ key: full.slice(namespace.length), value });
      });
      return out;
    },
    async close() {
      // The client belongs to the backend, which closes it.
    },
  };
}
