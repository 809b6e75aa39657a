import { defineConfig } from 'vitest/config';

// Tests talk to the real PostgreSQL and Redis on loopback; files run in parallel forks,
// each isolating itself (own SQLite file, own PostgreSQL schema, own Redis key prefix).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
