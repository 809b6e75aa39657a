import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/index.ts';
import { UserService } from '../../src/users/index.ts';

async function cli(args: string[], env: Record<string, string>, input: string | null): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const stdin = input === null ? undefined : Readable.from([input]);
  const code = await main(args, { loadConfig: () => loadConfig(env), stdout, stderr, ...(stdin ? { stdin } : {}) });
  return { code, out, err };
}

describe('ai-stack users', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-users-cli-'));
  const env = { AI_STACK_DATA_DIR: dataDir };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates an admin with the password from stdin, stored as an argon2id hash', async () => {
    const created = await cli(['users', 'create', '--username', 'root-admin', '--admin'], env, 'a strong first password\n');
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/Created user \d+ "root-admin" with role admin/);
    expect(created.out).not.toContain('a strong first password');
    expect((await cli(['users', 'list'], env, null)).out).toMatch(/admin\troot-admin/);

    const db = await openDatabase(loadConfig(env).database);
    try {
      const row = await db.kysely.selectFrom('users').select('password_hash').where('username', '=', 'root-admin').executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      const users = new UserService(db.kysely);
      expect((await users.authenticate('root-admin', 'a strong first password')).ok).toBe(true);
      expect((await users.authenticate('root-admin', 'a strong first passwor')).ok).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('refuses a missing or short password, a bad role and a duplicate name, creating nothing', async () => {
    const none = await cli(['users', 'create', '--username', 'nopass'], env, '');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/No password on standard input/);
    const short = await cli(['users', 'create', '--username', 'shorty'], env, 'short\n');
    expect(short.code).toBe(1);
    expect(short.err).toMatch(/at least 12|12–1024/);
    expect((await cli(['users', 'create', '--username', 'x', '--role', 'root'], env, 'long enough password\n')).code).toBe(1);
    const twice = await cli(['users', 'create', '--username', 'root-admin', '--admin'], env, 'another long password\n');
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/username/);
    expect(twice.err).not.toMatch(/\n\s+at /);
    const listed = (await cli(['users', 'list'], env, null)).out;
    expect(listed).not.toMatch(/nopass|shorty/);
    expect(listed.match(/root-admin/g)).toHaveLength(1);
  });
});
