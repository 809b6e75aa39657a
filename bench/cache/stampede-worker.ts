// One of the benchmark's stampede processes: `concurrency` concurrent getOrSet calls for one key,
// released together by the parent once all four are ready (an IPC barrier, not a clock). Prints how many values it got back and when its calls started and
// ended, so the parent can prove that the four processes' misses really overlapped.
import { Redis } from 'ioredis';
import { createCache } from '../../src/cache/index.ts';
import { bento } from './peers.ts';

const [url, prefix, key, counterKey, concurrencyText, mode] = process.argv.slice(2) as [string, string, string, string, string, 'lock' | 'none' | 'bentocache'];
const redis = new Redis(url);
const loader = async (): Promise<string> => {
  await redis.incr(counterKey);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return 'loaded';
};
let getOrSet: () => Promise<unknown>;
let close: () => Promise<unknown>;
if (mode === 'bentocache') {
  // Its default (serialized) L1: 1.6.1's getOrSet throws on concurrent misses with `serialize: false`.
  const cache = bento(prefix, 'tiered-serialized');
  getOrSet = () => cache.getOrSet({ key, factory: loader, ttl: '1m' });
  close = () => cache.disconnect();
} else {
  const cache = await createCache({ redis: { url, keyPrefix: prefix }, namespace: 'stampede' });
  getOrSet = () => cache.getOrSet(key, loader, { lock: mode === 'lock', ttl: '1m' });
  close = () => cache.close();
}
await redis.ping();
const go = new Promise((resolve) => process.once('message', resolve));
process.send?.('ready');
await go;
const calls = await Promise.all(
  Array.from({ length: Number(concurrencyText) }, async () => {
    const started = Date.now();
    const value = await getOrSet();
    return { value, started, ended: Date.now() };
  }),
);
process.send?.({
  answered: calls.filter((c) => c.value === 'loaded').length,
  firstStart: Math.min(...calls.map((c) => c.started)),
  lastStart: Math.max(...calls.map((c) => c.started)),
  firstEnd: Math.min(...calls.map((c) => c.ended)),
});
await close();
redis.disconnect();
process.disconnect?.();
