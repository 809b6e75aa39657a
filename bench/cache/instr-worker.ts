// Runs under callgrind: warm up, then N awaited L1 hits of one implementation (no Redis: in-process
// tiers only, so the count is the library's own work). Usage: node instr-worker.ts <impl> <n>
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache as createCacheManager } from 'cache-manager';
import { Keyv } from 'keyv';
import { CacheableMemory } from 'cacheable';
import { LRUCache } from 'lru-cache';
import { createCache } from '../../src/cache/index.ts';

const [impl, nText] = process.argv.slice(2) as [string, string];
const n = Number(nText);
const value = { id: 42, name: 'Ada Lovelace', roles: ['admin'] };
let get: () => unknown;
if (impl === 'ai-stack') {
  const cache = await createCache({ redis: null });
  await cache.set('hot', value);
  get = () => cache.get('hot');
} else if (impl === 'bentocache') {
  const bento = new BentoCache({ default: 'm', stores: { m: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000, serialize: false })) } });
  await bento.set({ key: 'hot', value });
  get = () => bento.get({ key: 'hot' });
} else if (impl === 'cache-manager') {
  const cm = createCacheManager({ stores: [new Keyv({ store: new CacheableMemory({ lruSize: 10_000 }) })] });
  await cm.set('hot', value);
  get = () => cm.get('hot');
} else {
  const lru = new LRUCache<string, object>({ max: 10_000 });
  lru.set('hot', value);
  get = async () => lru.get('hot');
}
for (let i = 0; i < 50_000; i++) await get();
for (let i = 0; i < n; i++) await get();
process.exit(0);
