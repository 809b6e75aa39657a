// Benchmark: the console's front-end figures on the Lighthouse mobile preset (simulated throttling).
//   initial_js_gz_kb        — the shell's initial JavaScript, gzip -9 (what every first visit downloads)
//   route_js_gz_kb          — what opening each route adds to the shell
//   lighthouse_performance  — median performance score per route over the rounds
//   lcp_ms                  — median largest contentful paint per route
// There is no peer: these are our own figures against the thresholds. Rounds rotate the route
// order (bench/lib/rounds.ts style), raw figures of every round go to _runs. Writes bench/results/web.json.
// Run: npm run bench:web   (BENCH_WEB_ROUNDS to change the number of rounds, default 5)
import { CONSOLE_DIST, ensureConsoleBuilt } from '../../src/console/index.ts';
import { CONSOLE_ROUTES, lighthouseRoutes, sessionCookie, type RouteScore } from '../../fixtures/console-lighthouse.ts';
import { initialJsGzipBytes, routeChunkGzipBytes } from '../../fixtures/console-bundle.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createRuntime } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineFacts, packageVersion } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { median, spread } from '../lib/stats.ts';

const ROUNDS = Math.max(1, Number(process.env['BENCH_WEB_ROUNDS'] ?? 5));
const PASSWORD = 'a long benchmark password';

const run = await beginRun('npm run bench:web', machineFacts({ packages: ['lighthouse', 'preact', 'vite'] }));
await ensureConsoleBuilt(silentLogger);
const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-web-'));
const runtime = await createRuntime(loadConfig({ PORT: '0', AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { logger: silentLogger });
try {
  const baseUrl = (await runtime.listen()).replace('[::1]', '127.0.0.1');
  const key = runtime.bootstrapKey;
  if (!key) throw new Error('a fresh data directory must produce a bootstrap key');
  const created = await fetch(`${baseUrl}/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: PASSWORD, role: 'admin' }),
  });
  if (created.status !== 201) throw new Error(`could not create the bench user: ${created.status}`);
  const cookie = await sessionCookie(baseUrl, 'bench', PASSWORD);

  const rounds: RouteScore[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = CONSOLE_ROUTES.map((_, i) => CONSOLE_ROUTES[(i + r) % CONSOLE_ROUTES.length]!);
    rounds.push(await lighthouseRoutes(baseUrl, order, cookie));
    console.log(`round ${r + 1}/${ROUNDS} done`);
  }
  const of = (route: string, pick: (s: RouteScore) => number) => rounds.map((round) => pick(round.find((s) => s.route === route)!));
  const kb = (bytes: number) => Math.round(bytes / 100) / 10;
  const routeJs = routeChunkGzipBytes(CONSOLE_DIST);
  const summary = {
    initial_js_gz_kb: { 'ai-stack': kb(initialJsGzipBytes(CONSOLE_DIST)) },
    route_js_gz_kb: Object.fromEntries(Object.entries(routeJs).map(([route, bytes]) => [route, kb(bytes)])),
    lighthouse_performance: Object.fromEntries(CONSOLE_ROUTES.map((route) => [route, median(of(route, (s) => s.performance))])),
    lighthouse_accessibility: Object.fromEntries(CONSOLE_ROUTES.map((route) => [route, median(of(route, (s) => s.accessibility))])),
    lcp_ms: Object.fromEntries(CONSOLE_ROUTES.map((route) => [route, median(of(route, (s) => s.lcpMs))])),
    cls: Object.fromEntries(CONSOLE_ROUTES.map((route) => [route, median(of(route, (s) => s.cls))])),
    tbt_ms: Object.fromEntries(CONSOLE_ROUTES.map((route) => [route, median(of(route, (s) => s.tbtMs))])),
  };
  const path = writeResults(
    'web',
    'lighthouse',
    summary,
    run.finish({
      settings: {
        rounds: ROUNDS,
        preset: 'lighthouse default (mobile, simulated throttling)',
        lighthouse: packageVersion('lighthouse'),
        chromium: '/usr/bin/chromium',
      },
      rounds,
      notes: [`lcp_ms spread per route: ${JSON.stringify(Object.fromEntries(CONSOLE_ROUTES.map((route) => [route, spread(of(route, (s) => s.lcpMs))])))}`],
    }),
  );
  console.log(JSON.stringify(summary, null, 2));
  console.log(`wrote ${path}`);
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
