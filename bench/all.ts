// npm run bench:all — every benchmark in sequence, then `bench:report`. Meant for an otherwise idle machine:
// it refuses to start when the 1-minute load average is above 1.5 (override with --force, and the page will
// mark every run made on a busy machine), prints the load average before and after each benchmark and its
// wall time, and stops any benchmark that runs past its time limit (so the whole run stays bounded).
//
//   npm run bench:all                       full sizes (the issues' sizes), results into bench/results/, docs/benchmarks.md
//   npm run bench:all -- --smoke            tiny sizes to prove every benchmark runs; results and page go to bench/.scratch/
//   npm run bench:all -- --only cache,tasks-backends   --skip analytics   --force
//
// Benchmarks the package.json gains later (bench:search, bench:web, bench:seed …) run too, after the known
// ones, with the default limit; give them an entry below to set their smoke sizes and expected time.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { sampleCpuBusyPct } from './lib/machine.ts';

interface Step {
  name: string;
  /** argv after `node` (or `npm run <script>` for benchmarks only known by their npm script). */
  argv: string[];
  /** Environment of the full-size run (where bench:all trims a benchmark's own default to fit its time budget). */
  env?: Record<string, string>;
  /** --smoke: these arguments replace the step's own (after its script) and this environment is added. */
  smokeArgs?: string[];
  smokeEnv?: Record<string, string>;
  /** Expected wall time at full size on an idle 2-core machine, in minutes (see bench/README.md). */
  expectedMin: number;
}

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SMOKE = args.includes('--smoke');
const FORCE = args.includes('--force');
const MAX_LOAD = 1.5;

const STEPS: Step[] = [
  { name: 'cache', argv: ['bench/cache/index.ts'], smokeArgs: ['--quick'], expectedMin: 1 },
  // 4 s per load-generator run instead of 5 (still ≥ 5 rotated rounds): keeps the whole run near 30 minutes.
  { name: 'http', argv: ['bench/http/index.ts'], env: { BENCH_SECONDS: '4' }, smokeEnv: { BENCH_SECONDS: '1' }, expectedMin: 4 },
  {
    name: 'http-service',
    argv: ['bench/http/service.ts'],
    env: { BENCH_SECONDS: '4' },
    smokeEnv: { BENCH_SECONDS: '1', BENCH_ORDERS: '2000' },
    expectedMin: 2.5,
  },
  { name: 'http-etag', argv: ['bench/http/etag.ts'], env: { BENCH_ETAG_CALLS: '50000' }, smokeEnv: { BENCH_ETAG_CALLS: '2000' }, expectedMin: 0.5 },
  // The demo loads first: bench:db then reuses their 1 M-order databases (data/bench/demo_1000000.db, schema demo_1000000).
  {
    name: 'demo-data-sqlite',
    argv: ['bench/db/demo-load.ts', '--dialect', 'sqlite', '--orders', '1000000'],
    smokeArgs: ['--dialect', 'sqlite', '--orders', '2000'],
    expectedMin: 0.7,
  },
  {
    name: 'demo-data-postgres',
    argv: ['bench/db/demo-load.ts', '--dialect', 'postgres', '--orders', '1000000'],
    smokeArgs: ['--dialect', 'postgres', '--orders', '2000'],
    expectedMin: 0.8,
  },
  { name: 'db', argv: ['bench/db/index.ts'], smokeArgs: ['--orders', '2000', '--rows', '2000'], expectedMin: 4 },
  { name: 'tasks-layer', argv: ['bench/tasks/index.ts'], smokeEnv: { BENCH_TASK_JOBS: '500', BENCH_LATENCY_SAMPLES: '20' }, expectedMin: 0.7 },
  { name: 'tasks-celery', argv: ['bench/tasks/celery.ts'], smokeEnv: { BENCH_CELERY_JOBS: '200', BENCH_LATENCY_SAMPLES: '20' }, expectedMin: 3 },
  {
    name: 'tasks-backends',
    argv: ['bench/tasks/backends.ts'],
    smokeEnv: { BENCH_PROCESS_JOBS: '1000', BENCH_BULK_JOBS: '2000', BENCH_LATENCY_SAMPLES: '20' },
    expectedMin: 3,
  },
  {
    name: 'tasks-cross-process',
    argv: ['bench/tasks/cross-process.ts'],
    env: { BENCH_IDLE_MS: '1000' },
    smokeEnv: { BENCH_CROSS_PROCESS_SAMPLES: '20', BENCH_CROSS_PROCESS_JOBS: '500', BENCH_IDLE_MS: '500' },
    expectedMin: 1.8,
  },
  {
    name: 'documents',
    argv: ['bench/documents/index.ts'],
    smokeEnv: { BENCH_DOCUMENT_ROUNDS: '1', BENCH_DOCUMENT_UPLOADS: '3', BENCH_DOCUMENT_BIG_MB: '5', BENCH_DOCUMENT_RSS_ROUNDS: '1' },
    // Six 200 MB uploads (three of the built package, three from the sources) at 95-120 s each: 12.2 min in all on
    // 7 December (the 9 min limit of expectedMin 3 stopped a run).
    expectedMin: 12,
  },
  { name: 'mail', argv: ['bench/mail/index.ts'], smokeEnv: { BENCH_MAIL_MESSAGES: '100' }, expectedMin: 1.5 },
  {
    name: 'analytics',
    argv: ['bench/analytics/index.ts'],
    smokeArgs: ['--rows', '5000', '--orders', '2000', '--m3-step', '200', '--rounds', '1'],
    expectedMin: 9,
  },
  {
    name: 'search',
    argv: ['bench/search/index.ts'],
    smokeEnv: { BENCH_SEARCH_CHUNKS: '1500', BENCH_SEARCH_ROUNDS: '2', BENCH_SEARCH_QUERIES: '40', BENCH_SEARCH_INDEX_CHUNKS: '300' },
    expectedMin: 4,
  },
  { name: 'seed', argv: ['bench/seed/index.ts'], smokeEnv: { BENCH_SECONDS: '1', BENCH_ORDERS: '1000' }, expectedMin: 5 },
];

// The forecast part needs the M3 data file (bench/analytics/export-m3.R); without it the rest still runs, loudly.
if (!existsSync(join(ROOT, 'bench/analytics/data/m3.jsonl.gz'))) {
  const analytics = STEPS.find((s) => s.name === 'analytics');
  if (analytics) {
    console.error('*** bench/analytics/data/m3.jsonl.gz is missing: analytics runs without its forecast part (make it with bench/analytics/export-m3.R) ***');
    analytics.argv = [...analytics.argv, '--parts', 'xlsx,pivot,chart'];
    analytics.smokeArgs = [...(analytics.smokeArgs ?? []), '--parts', 'xlsx,pivot,chart'];
  }
}

/** npm scripts named bench:* that no step above covers (the phase-2 benchmarks as they land). */
function laterSteps(): Step[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const covered = new Set(STEPS.flatMap((s) => s.argv.filter((a) => a.endsWith('.ts'))));
  return Object.entries(scripts)
    .filter(([name]) => name.startsWith('bench:') && !['bench:all', 'bench:report'].includes(name))
    .filter(([, command]) => !command.split('&&').every((part) => covered.has(part.trim().split(/\s+/)[1] ?? '')))
    .map(([name]) => ({ name: name.slice('bench:'.length), argv: ['npm', 'run', '--silent', name], expectedMin: 5 }));
}

const only = option('only')?.split(',');
const skip = new Set(option('skip')?.split(',') ?? []);
const steps = [...STEPS, ...laterSteps()].filter((s) => (!only || only.includes(s.name)) && !skip.has(s.name));
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
const expectedTotal = steps.reduce((sum, s) => sum + s.expectedMin, 0);

const mode = SMOKE ? ' --smoke (tiny sizes; results in bench/.scratch, not published)' : '';
console.log(`bench:all${mode}: ${steps.length} benchmarks, expected ${expectedTotal.toFixed(0)} min on an idle ${cpus().length}-core machine`);
console.log(`load average now ${load()}`);
if (loadavg()[0]! > MAX_LOAD) {
  const message =
    `the 1-minute load average is ${loadavg()[0]!.toFixed(2)} (> ${MAX_LOAD}): ` + 'figures from a busy machine are not publishable (bench/README.md rule 7)';
  if (!FORCE && !SMOKE) {
    console.error(`\n*** REFUSING TO START: ${message}. Wait for an idle machine, or pass --force (every run then carries a busy-machine warning). ***\n`);
    process.exit(2);
  }
  console.error(`\n*** WARNING: ${message}. Continuing because of ${SMOKE ? '--smoke' : '--force'}. ***\n`);
}

const env: NodeJS.ProcessEnv = { ...process.env };
if (SMOKE) {
  env['BENCH_RESULTS_DIR'] = join(ROOT, 'bench/.scratch/results');
  env['BENCH_REPORT_FILE'] = join(ROOT, 'bench/.scratch/benchmarks.md');
  mkdirSync(env['BENCH_RESULTS_DIR'], { recursive: true });
}

interface Outcome {
  name: string;
  status: string;
  wallS: number;
  expectedMin: number;
  loadBefore: string;
  loadAfter: string;
}
const outcomes: Outcome[] = [];

function runStep(step: Step): Promise<Outcome> {
  const isNpm = step.argv[0] === 'npm';
  const command = isNpm ? 'npm' : process.execPath;
  const argv = SMOKE && step.smokeArgs ? [step.argv[0] as string, ...step.smokeArgs] : step.argv;
  const stepEnv = { ...env, ...(SMOKE ? step.smokeEnv : step.env) };
  // Full size: 3× the expected time, at least 5 minutes; smoke: 10 minutes (a busy machine is slow).
  const limitMs = (SMOKE ? 10 : Math.max(5, step.expectedMin * 3)) * 60_000;
  const loadBefore = load();
  const shownEnv = SMOKE ? step.smokeEnv : step.env;
  const shown = `${isNpm ? argv.join(' ') : `node ${argv.join(' ')}`}${
    shownEnv
      ? ` (${Object.entries(shownEnv)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')})`
      : ''
  }`;
  console.log(`\n=== ${step.name}: ${shown}; load ${loadBefore}; limit ${(limitMs / 60_000).toFixed(0)} min`);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, isNpm ? argv.slice(1) : argv, { cwd: ROOT, env: stepEnv, stdio: 'inherit', detached: true });
    current = child.pid;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`*** ${step.name} passed its ${(limitMs / 60_000).toFixed(0)}-minute limit: stopping it ***`);
      // The benchmark's own process group (it may have started workers, servers, load generators).
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }, limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      const wallS = (performance.now() - started) / 1000;
      const status = timedOut ? 'timed out' : code === 0 ? 'ok' : `failed (${signal ?? `exit ${code}`})`;
      const outcome = { name: step.name, status, wallS, expectedMin: step.expectedMin, loadBefore, loadAfter: load() };
      console.log(`=== ${step.name}: ${status} in ${wallS.toFixed(0)} s; load ${outcome.loadBefore} → ${outcome.loadAfter}`);
      resolve(outcome);
    });
  });
}

let current: number | undefined;
process.on('SIGINT', () => {
  // The benchmark runs in its own process group: stop it with us.
  if (current !== undefined) process.kill(-current, 'SIGTERM');
  process.exit(130);
});

const started = performance.now();
/** Wait (up to a minute) until the CPU is quiet: the previous benchmark's servers and children may still be exiting. */
async function waitForQuiet(): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const busy = await sampleCpuBusyPct(1000);
    if (busy === undefined || busy < 10) return;
  }
  console.log(`CPU still busy after a minute (load ${load()}): the next run records it and the page marks it busy`);
}

for (const step of steps) {
  if (!SMOKE) await waitForQuiet();
  outcomes.push(await runStep(step));
}
const report = await runStep({ name: 'report', argv: ['bench/report/index.ts'], expectedMin: 0.1 });

const minutes = ((performance.now() - started) / 60_000).toFixed(1);
console.log(`\nbench:all finished in ${minutes} min (expected ${expectedTotal.toFixed(0)} min at full size on an idle machine)`);
console.log('| benchmark | status | wall s | expected min (full, idle) | load before | load after |');
console.log('|---|---|---:|---:|---|---|');
for (const o of outcomes) console.log(`| ${o.name} | ${o.status} | ${o.wallS.toFixed(0)} | ${o.expectedMin} | ${o.loadBefore} | ${o.loadAfter} |`);
const timesFile = join(ROOT, 'bench/.scratch', `bench-all-${SMOKE ? 'smoke' : 'full'}-times.json`);
mkdirSync(join(ROOT, 'bench/.scratch'), { recursive: true });
writeFileSync(timesFile, `${JSON.stringify({ finishedAt: new Date().toISOString(), smoke: SMOKE, outcomes }, null, 2)}\n`);
console.log(`wall times: ${timesFile}; page: ${SMOKE ? env['BENCH_REPORT_FILE'] : 'docs/benchmarks.md'}`);
process.exit(outcomes.every((o) => o.status === 'ok') && report.status === 'ok' ? 0 : 1);
