import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript that any Node parses; no declarations on purpose
import { nodeVersionProblem } from '../../bin/require-node.js';
import { describe as describeError, main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/index.ts';
import { formatProgress } from '../../src/cli/commands/demo-data.ts';
import { nextSteps } from '../../src/cli/commands/start.ts';
import { openTestDatabase } from '../support/db.ts';

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, { loadConfig: () => loadConfig(env), stdout, stderr });
  return { code, out, err };
}

describe('ai-stack CLI', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-cli-'));
  const env = { AI_STACK_DATA_DIR: dataDir };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints help, and exits 2 on an unknown command', async () => {
    expect((await cli(['--help'], env)).out).toMatch(/Commands:[\s\S]*start[\s\S]*keys/);
    const unknown = await cli(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "frobnicate"/);
  });

  it('migrates, then reports the database up to date', async () => {
    expect((await cli(['migrate'], env)).code).toBe(0);
    expect((await cli(['migrate'], env)).out).toMatch(/up to date/);
  });

  it('creates, lists and revokes keys; the secret is printed once', async () => {
    const created = await cli(['keys', 'create', '--name', 'etl', '--scopes', 'read,write'], env);
    expect(created.code).toBe(0);
    const key = /ask_[A-Za-z0-9_-]{43}/.exec(created.out)?.[0];
    expect(key).toBeDefined();
    const id = /Created key (\d+)/.exec(created.out)?.[1];
    const listed = await cli(['keys', 'list'], env);
    expect(listed.out).toMatch(/etl/);
    expect(listed.out).not.toContain(key);
    expect((await cli(['keys', 'revoke', id!], env)).out).toMatch(/Revoked/);
    expect((await cli(['keys', 'list'], env)).out).toMatch(/revoked\tetl/);
  });

  it('rejects bad key arguments with a clear message', async () => {
    const badScope = await cli(['keys', 'create', '--name', 'x', '--scopes', 'root'], env);
    expect(badScope.code).toBe(1);
    expect(badScope.err).toMatch(/Unknown scope\(s\): root/);
    expect((await cli(['keys', 'create'], env)).err).toMatch(/--name is required/);
    expect((await cli(['keys', 'revoke', 'abc'], env)).code).toBe(1);
    expect((await cli(['keys', 'explode'], env)).code).toBe(2);
  });

  it('doctor prints masked configuration and checks each backend', async () => {
    const ok = await cli(['doctor'], { ...env, AI_STACK_ADMIN_KEY: 'z'.repeat(32), REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/\[ ok \] database/);
    expect(ok.out).toMatch(/\[ ok \] redis/);
    expect(ok.out).not.toContain('z'.repeat(32));
    const down = await cli(['doctor'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/\[FAIL\] redis/);
  });

  it('stops with one clear message when the configuration is invalid', async () => {
    const result = await cli(['migrate'], { PORT: 'abc' });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/PORT: must be a whole number/);
  });

  it('loads demo data, then advises a verified index for a slow query and none for a fast one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-cli-advise-'));
    const advEnv = { AI_STACK_DATA_DIR: dir };
    try {
      const loaded = await cli(['demo-data', '--orders', '3000', '--seed', '7'], advEnv);
      expect(loaded.code).toBe(0);
      expect(loaded.out).toMatch(/"orders":3000/);
      expect((await cli(['demo-data', '--orders', '10'], advEnv)).code).toBe(1);
      const slow = await cli(['db', 'advise', "select * from orders where status = 'paid' order by total_cents desc limit 10"], advEnv);
      expect(slow.code).toBe(0);
      expect(slow.out).toMatch(/create index "\w+" on "orders" \((?:"status", )?"total_cents"/);
      const fast = await cli(['db', 'advise', 'select * from customers where id = 5'], advEnv);
      expect(fast.out).toMatch(/No index suggested/);
      const hostile = await cli(['db', 'advise', 'drop table customers'], advEnv);
      expect(hostile.code).toBe(2);
      expect(hostile.err).toMatch(/only SELECT/);
      // A statement the database rejects: its reason on one line, exit 2, never a stack trace.
      for (const bad of ['select * from orders where no_such_column = 1', 'select * form orders', 'with x as (select 1) select * from x where']) {
        const rejected = await cli(['db', 'advise', bad], advEnv);
        expect(rejected.code).toBe(2);
        expect(rejected.err.trim().split('\n')).toHaveLength(1);
        expect(rejected.err).toMatch(/^ai-stack db advise: Cannot advise on this statement: /);
        expect(rejected.err).not.toMatch(/\n\s+at /);
      }
      const cte = await cli(
        [
          'db',
          'advise',
          "with paid as (select * from orders where status = 'paid') select * from paid where total_cents > 100 order by total_cents desc limit 5",
        ],
        advEnv,
      );
      expect(cte.code).toBe(0);
      expect(cte.err).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('db advise on PostgreSQL: a rejected statement is one line and exit 2, and the next one still works', async () => {
    const t = await openTestDatabase('postgres');
    const pgEnv = { AI_STACK_DATA_DIR: dataDir, DATABASE_URL: t.config.kind === 'postgres' ? t.config.url : '' };
    try {
      for (const bad of ['select * from orders where no_such_column = 1', 'select * form orders']) {
        const rejected = await cli(['db', 'advise', bad], pgEnv);
        expect(rejected.code).toBe(2);
        expect(rejected.err.trim().split('\n')).toHaveLength(1);
        expect(rejected.err).not.toMatch(/aborted|\n\s+at /);
      }
      const ok = await cli(['db', 'advise', 'select * from orders where id = 1'], pgEnv);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/No index suggested/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('a user never sees a stack trace', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-cli-errors-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const oneLine = (text: string): void => {
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).not.toMatch(/\n\s+at /);
  };

  it('db advise with a typo in the SQL: one line naming the problem, exit 2', async () => {
    const env = { AI_STACK_DATA_DIR: dataDir };
    expect((await cli(['migrate'], env)).code).toBe(0);
    const typo = await cli(['db', 'advise', 'select * form orders'], env);
    expect(typo.code).toBe(2);
    oneLine(typo.err);
    expect(typo.err).toMatch(/ai-stack db advise: /);
  });

  it('a PostgreSQL URL without a user: one line, exit 1', async () => {
    const res = await cli(['migrate'], { AI_STACK_DATA_DIR: dataDir, DATABASE_URL: 'postgres://127.0.0.1:5432/test' });
    expect(res.code).toBe(1);
    oneLine(res.err);
    expect(res.err).toMatch(/DATABASE_URL: names no user/);
    const refused = await cli(['migrate'], { AI_STACK_DATA_DIR: dataDir, DATABASE_URL: 'postgres://app@127.0.0.1:1/nodb' });
    expect(refused.code).toBe(1);
    oneLine(refused.err);
  });

  it('any unexpected error is reduced to its message', () => {
    expect(describeError(new Error('first\nsecond'))).toBe('first second');
  });
});

describe('the ai-stack bin on an old Node.js', () => {
  it('explains in one line that Node 24 is needed and how to get it', () => {
    const message = nodeVersionProblem('v20.19.0');
    expect(message).toMatch(/needs Node\.js 24 or newer \(this is v20\.19\.0\)/);
    expect(message).toMatch(/npm install --save-dev node@24/);
    expect(message).not.toContain('\n');
    expect(nodeVersionProblem('v24.0.0')).toBeNull();
    expect(nodeVersionProblem('v25.1.0')).toBeNull();
  });
});

describe('operator output', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-cli-ops-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('doctor prints every setting of the README configuration table', async () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const names = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(15);
    const res = await cli(['doctor'], { AI_STACK_DATA_DIR: dataDir });
    for (const name of names) expect(res.out, name).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('demo-data names --append when the tables already hold data, and shows progress on a terminal', async () => {
    const env = { AI_STACK_DATA_DIR: dataDir };
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await main(['demo-data', '--orders', '2000'], { loadConfig: () => loadConfig(env), stdout: new PassThrough(), stderr });
    expect(code).toBe(0);
    expect(err).toMatch(/\r {2}\w+ \d+\.\d% · [\d,]+ rows · [\d,]+ rows\/s · ETA/);
    const again = await cli(['demo-data', '--orders', '10'], env);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/--append/);
    expect(again.err).not.toMatch(/append: true/);
  });

  it('formats progress with percentage, rate and time left', () => {
    expect(formatProgress({ phase: 'orders', ordersDone: 250, ordersTotal: 1000, rowsWritten: 5000 }, 2000)).toBe(
      '  orders 25.0% · 5,000 rows · 2,500 rows/s · ETA 6 s',
    );
  });

  it('start prints where to go next', () => {
    const text = nextSteps('http://127.0.0.1:3000', ['shop.greet']);
    expect(text).toContain('http://127.0.0.1:3000/docs');
    expect(text).toContain('http://127.0.0.1:3000/admin/queues');
    expect(text).toContain('shop.greet');
  });
});
