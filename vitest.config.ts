import { defaultExternalConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests talk to the real PostgreSQL and Redis on loopback; files run in parallel forks,
// each isolating itself (own SQLite file, own PostgreSQL schema, own Redis key prefix).
// `ai-stack/*` self-imports resolve to the TypeScript sources in the repository (the package's
// `ai-stack-source` export condition); installed, they resolve to the built JavaScript.
// Added to Vite's defaults, which setting `conditions` would otherwise replace.
const own = 'ai-stack-source';

export default defineConfig({
  // Without 'module': packages whose "module" build has extensionless imports (the AWS SDK's dist-es) are
  // loaded by Node as externals, which must get their "node" build.
  ssr: { resolve: { conditions: [own, ...defaultServerConditions.filter((c) => c !== 'module')], externalConditions: [own, ...defaultExternalConditions] } },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
