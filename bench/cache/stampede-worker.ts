// One of the benchmark's stampede processes: `concurrency` concurrent getOrSet calls for one key,
// started at a shared instant; prints how many values it got back.
import { Redis } from 'ioredis';
import { createCache } from '../../src/cache/index.ts';

const [url, prefix, key, counterKey, concurrencyText, atText, lockText] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const cache = await createCache({ redis: { url, keyPrefix: prefix }, namespace: 'stampede' });
const redis = new Redis(url);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(atText) - Date.now())));
const values = await Promise.all(Array.from({ length: Number(concurrencyText) }, () => cache.getOrSet(key, async () => {
  await redis.incr(counterKey);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return 'loaded';
}, { lock: lockText === 'lock', ttl: '1m' })));
process.stdout.write(JSON.stringify({ answered: values.filter((v) => v === 'loaded').length }));
await cache.close();
redis.disconnect();
