// The first hour of a user who installed the package: from a project outside this repository that ran
// `npm install ai-stack-<version>.tgz`, import every module, define a task in its own file, run it with
// `ai-stack worker --tasks`, send it with `ai-stack call` and `POST /admin/tasks/apply/{name}`, read its
// result; and every ```ts sample in docs/ runs there as written.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docSamples } from '../support/doc-samples.ts';
import { installPackedPackage, type InstalledProject } from '../support/packed.ts';
import { freePort, REPO_ROOT, type CliProcess } from '../support/process.ts';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';
import { eventually } from '../support/wait.ts';

const MY_TASKS = `import { Type } from 'typebox';
import { defineTask } from 'ai-stack/tasks';

export const invoiceTotal = defineTask('shop.invoice_total', {
  queue: 'reports',
  args: Type.Object({ lines: Type.Array(Type.Object({ qty: Type.Integer({ minimum: 1 }), price: Type.Number() })) }, { additionalProperties: false }),
}, ({ lines }) => lines.reduce((sum, l) => sum + l.qty * l.price, 0));
`;

let project: InstalledProject;
const running: CliProcess[] = [];

beforeAll(async () => {
  project = await installPackedPackage();
  mkdirSync(join(project.dir, 'src'));
  writeFileSync(join(project.dir, 'src/my-tasks.ts'), MY_TASKS);
}, 300_000);

// Stopping two services and deleting an installed node_modules can outlast the default hook timeout on a busy machine.
afterAll(async () => {
  for (const p of running) p.child.kill('SIGTERM');
  await Promise.all(running.map((p) => p.exited));
  project?.cleanup();
}, 180_000);

async function finish(p: CliProcess): Promise<{ code: number | null; out: string }> {
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('the installed package', { timeout: 90_000 }, () => {
  it('ships built JavaScript with declarations, not TypeScript sources', () => {
    const pkg = join(project.dir, 'node_modules/ai-stack');
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect(existsSync(join(pkg, 'dist/tasks/index.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/tasks/index.d.ts'))).toBe(true);
    expect(existsSync(join(pkg, 'web/dist/index.html')), 'the web console ships built').toBe(true);
  });

  it('points worker threads at built modules: tsc rewrites import extensions, not URLs', () => {
    const dist = join(project.dir, 'node_modules/ai-stack/dist');
    const sources = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const offenders = sources.filter((f) => /new URL\(\s*['"`][^'"`]*\.ts['"`]/.test(readFileSync(join(dist, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('resolves every module (each src/<module>/index.ts) and the SQLite task backend', async () => {
    const modules = readdirSync(join(REPO_ROOT, 'src')).filter((m) => existsSync(join(REPO_ROOT, 'src', m, 'index.ts')));
    expect(modules).toEqual(expect.arrayContaining(['tasks', 'cache', 'db', 'http', 'config']));
    const specifiers = [
      ...modules.filter((m) => m !== 'cli').map((m) => `ai-stack/${m}`),
      'ai-stack/tasks/sqlite',
      'ai-stack/cache/testing',
      'ai-stack/http/toolkit',
    ];
    const script = `for (const s of ${JSON.stringify(specifiers)}) { const m = await import(s); if (Object.keys(m).length === 0) throw new Error(s + ' exports nothing'); console.log('ok', s); }`;
    writeFileSync(join(project.dir, 'imports.mjs'), script);
    const res = await finish(project.node(['imports.mjs']));
    expect(res.out).not.toMatch(/Error/);
    expect(res.code).toBe(0);
    for (const s of specifiers) expect(res.out).toContain(`ok ${s}\n`);
  });

  it('typechecks a user file that imports it (types from the .d.ts files)', async () => {
    writeFileSync(
      join(project.dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2024',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
        },
        files: ['src/my-tasks.ts', 'src/typed-use.ts'],
      }),
    );
    writeFileSync(
      join(project.dir, 'src/typed-use.ts'),
      `import { createTaskSystem } from 'ai-stack/tasks';
import { createSqliteTaskBackend } from 'ai-stack/tasks/sqlite';
import { invoiceTotal } from './my-tasks.ts';
const system = createTaskSystem({ backend: createSqliteTaskBackend({ file: 'x.sqlite' }), tasks: [invoiceTotal] });
// @ts-expect-error qty must be a number: the task's schema types its arguments
await system.task(invoiceTotal).delay({ lines: [{ qty: 'two', price: 1 }] });
`.replace('./my-tasks.ts', './my-tasks.js'),
    );
    const res = await finish(project.node([join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.']));
    expect(res.out).toBe('');
    expect(res.code).toBe(0);
  }, 120_000);

  it('the bin runs from the installed package', async () => {
    const res = await finish(project.bin(['--help']));
    expect(res.out).toContain('Usage: ai-stack <command>');
    expect(res.out).toMatch(/call\s+Send a task by name/);
    expect(res.code).toBe(0);
  });

  it('on a Node.js older than 24 the bin says, in one line, what is needed', async (ctx) => {
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
    const version = old ? (await finish(project.run(old, ['--version']))).out : '';
    if (!old || !/^v(1\d|2[0-3])\./.test(version)) return ctx.skip('no Node.js older than 24 on this machine (the unit test of nodeVersionProblem still runs)');
    const res = await finish(project.run(old, [join(project.dir, 'node_modules/ai-stack/bin/ai-stack.js'), 'worker']));
    expect(res.code).toBe(1);
    expect(res.out.trim().split('\n')).toHaveLength(1);
    expect(res.out).toMatch(/needs Node\.js 24 .*npm install --save-dev node@24/);
  });
});

describe('a task of the user, run by the installed CLI', { timeout: 120_000 }, () => {
  const args = JSON.stringify({
    lines: [
      { qty: 2, price: 9.5 },
      { qty: 1, price: 1 },
    ],
  });

  it('ai-stack worker --tasks runs it; ai-stack call sends it and prints the result', async () => {
    const dataDir = join(project.dir, 'data-worker');
    const worker = project.bin(['worker', '--tasks', './src/my-tasks.ts'], { AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    running.push(worker);
    await worker.waitFor(/your tasks: shop\.invoice_total/, 60_000);
    const res = await finish(
      project.bin(['call', 'shop.invoice_total', '--tasks', './src/my-tasks.ts', '--args', args, '--wait'], { AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }),
    );
    expect(res.out).toMatch(/^20$/m);
    expect(res.code).toBe(0);
    const bad = await finish(
      project.bin(['call', 'shop.invoice_total', '--tasks', './src/my-tasks.ts', '--args', '{"lines":[{"qty":0}]}'], {
        AI_STACK_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      }),
    );
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/\/lines\/0\/qty/);
    expect(bad.out).toMatch(/\/lines\/0\/price/);
    expect(bad.out).not.toMatch(/\n\s+at /);
  });

  it('ai-stack start --tasks serves POST /admin/tasks/apply/{name}; GET /admin/tasks/jobs/{id} has the result', async () => {
    const port = await freePort();
    const start = project.bin(['start', '--tasks', './src/my-tasks.ts'], {
      AI_STACK_DATA_DIR: join(project.dir, 'data-start'),
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    running.push(start);
    const [, key] = await start.waitFor(/shown only now:\s+(\S{24,})\s/, 60_000);
    await start.waitFor(/task monitor\s+http:\/\/127\.0\.0\.1:\d+\/admin\/queues/, 60_000);
    expect(start.output()).toMatch(/API docs\s+http:\/\/127\.0\.0\.1:\d+\/docs/);
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const applied = await fetch(`${base}/admin/tasks/apply/shop.invoice_total`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ args: JSON.parse(args) as unknown }),
    });
    expect(applied.status).toBe(202);
    const { id } = (await applied.json()) as { id: string };
    let detail: { celeryState?: string; result?: unknown } = {};
    await eventually(
      async () => {
        detail = (await (await fetch(`${base}/admin/tasks/jobs/${id}`, { headers })).json()) as typeof detail;
        return detail.celeryState === 'SUCCESS';
      },
      30_000,
      'the applied task to succeed',
    );
    expect(detail.result).toBe(20);
    const invalid = await fetch(`${base}/admin/tasks/apply/shop.invoice_total`, { method: 'POST', headers, body: JSON.stringify({ args: { lines: 'many' } }) });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toContain('/lines');
  });
});

describe('docs/ samples run as written against the installed package', () => {
  // Every ```ts block of docs/ is a complete program. Only the Redis key prefix changes, so parallel runs on the
  // shared Redis do not see each other.
  const samples = docSamples().map((s) => ({ ...s, prefix: `docs-${s.name}-${process.pid}-${Date.now()}` }));
  const samplesDir = () => join(project.dir, 'samples');
  let typecheck: { code: number | null; out: string };

  beforeAll(async () => {
    for (const s of samples) {
      mkdirSync(join(samplesDir(), s.name), { recursive: true });
      writeFileSync(join(samplesDir(), s.name, 'sample.ts'), s.code.replaceAll('docs-example', s.prefix));
    }
    // One tsc run over all of them, as a reader's project would: types from the installed .d.ts files, and the
    // JavaScript for the samples Node cannot run from source (decorators).
    writeFileSync(
      join(samplesDir(), 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2024',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: true,
          outDir: 'js',
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
        },
        include: ['*/sample.ts'],
      }),
    );
    typecheck = await finish(project.run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], {}, samplesDir()));
  }, 180_000);
  afterAll(async () => {
    for (const s of samples) await deleteKeysMatching(SHARED_REDIS_URL, `${s.prefix}*`);
  });

  it('finds samples in every doc that has code, none of them opted out', () => {
    expect(samples.length).toBeGreaterThanOrEqual(10);
    for (const page of readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'))) {
      expect(readFileSync(join(REPO_ROOT, 'docs', page), 'utf8'), page).not.toMatch(/^```ts[ \t]+\S/m);
    }
  });

  it('every sample typechecks against the installed declarations', () => {
    expect(typecheck.out).toBe('');
    expect(typecheck.code).toBe(0);
  });

  it.each(samples.map((s) => [s.name, s] as const))(
    '%s runs to completion',
    async (_name, sample) => {
      const dir = join(samplesDir(), sample.name);
      const entry = sample.compiled ? join(samplesDir(), 'js', sample.name, 'sample.js') : 'sample.ts';
      const proc = project.run(process.execPath, [entry], {}, dir);
      const res = await Promise.race([
        finish(proc),
        new Promise<{ code: number | null; out: string }>((resolve) =>
          setTimeout(() => resolve({ code: -1, out: `did not exit within 80 s:\n${proc.output()}` }), 80_000).unref(),
        ),
      ]);
      if (res.code === -1) proc.child.kill('SIGKILL');
      expect(res.out.replace(/.*ExperimentalWarning.*\n?/g, '')).not.toMatch(/Error|at .*:\d+:\d+/);
      expect(res.code).toBe(0);
    },
    90_000,
  );
});
