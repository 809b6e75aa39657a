import { readFileSync } from 'node:fs';
import ts from 'typescript';
import * as cacheModule from '../../src/cache/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cached, createCache, renderKeyTemplate, withCacheControl, type Cache } from '../../src/cache/index.ts';
import { ValidationError } from '../../src/shared/errors.ts';
import { REDIS_URL, dropPrefix, randomPrefix } from './support.ts';

describe('cached()', () => {
  const prefix = randomPrefix('cached');
  let cache: Cache;

  beforeAll(async () => {
    cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'fn' });
  });
  afterAll(async () => {
    await cache.close();
    await dropPrefix(prefix);
  });

  it('caches per argument list with a key template, and invalidates/refreshes/bypasses', async () => {
    let calls = 0;
    const getUser = cached(async (id: number) => ({ id, n: ++calls }), { cache, key: 'user:{0}', ttl: '5m' });
    expect(getUser.keyFor(42)).toBe('user:42');
    expect(await getUser(42)).toEqual({ id: 42, n: 1 });
    expect(await getUser(42)).toEqual({ id: 42, n: 1 });
    expect(await getUser(7)).toEqual({ id: 7, n: 2 });
    expect(await cache.get('user:42')).toEqual({ id: 42, n: 1 });
    expect(await getUser.invalidate(42)).toBe(true);
    expect(await getUser(42)).toEqual({ id: 42, n: 3 });
    expect(await getUser.refresh(42)).toEqual({ id: 42, n: 4 });
    expect(await getUser(42)).toEqual({ id: 42, n: 4 });
    expect(await getUser.bypass(42)).toEqual({ id: 42, n: 5 });
    expect(await getUser(42)).toEqual({ id: 42, n: 4 });
  });

  it('supports per-call bypass and force-refresh through withCacheControl', async () => {
    let calls = 0;
    const fn = cached(async (q: string) => `${q}${++calls}`, { cache, name: 'search' });
    expect(await fn('a')).toBe('a1');
    expect(await withCacheControl({ bypass: true }, () => fn('a'))).toBe('a2');
    expect(await fn('a')).toBe('a1');
    expect(await withCacheControl({ forceRefresh: true }, () => fn('a'))).toBe('a3');
    expect(await fn('a')).toBe('a3');
  });

  it('uses a key builder, tags from arguments, and shouldCache', async () => {
    let calls = 0;
    const list = cached(
      async (_org: { id: string }) => {
        calls++;
        return calls === 1 ? [] : ['x'];
      },
      {
        cache,
        key: (org) => `list:${org.id}`,
        tags: (org) => [`org:${org.id}`],
        shouldCache: (rows) => rows.length > 0,
      },
    );
    expect(await list({ id: 'o1' })).toEqual([]);
    expect(await list({ id: 'o1' })).toEqual(['x']);
    expect(await list({ id: 'o1' })).toEqual(['x']);
    expect(calls).toBe(2);
    expect(await cache.deleteByTag('org:o1')).toBe(1);
    expect(await list({ id: 'o1' })).toEqual(['x']);
    expect(calls).toBe(3);
  });

  it('hashes argument lists stably (object key order does not matter)', () => {
    const fn = cached(async (_o: Record<string, number>) => 1, { cache, name: 'h' });
    expect(fn.keyFor({ a: 1, b: 2 })).toBe(fn.keyFor({ b: 2, a: 1 }));
    expect(fn.keyFor({ a: 1 })).not.toBe(fn.keyFor({ a: 2 }));
  });

  it('renders templates with nested paths and rejects missing or hostile paths', () => {
    expect(renderKeyTemplate('u:{0}:{1.id}', ['a', { id: 5 }])).toBe('u:a:5');
    expect(renderKeyTemplate('{args.id}/{id}', [{ id: 'x' }])).toBe('x/x');
    expect(() => renderKeyTemplate('{0.missing}', [{}])).toThrow(ValidationError);
    expect(() => renderKeyTemplate('{0.__proto__}', [{}])).toThrow(ValidationError);
    expect(() => cached(async () => 1, undefined as never)).toThrow(ValidationError);
  });

  it('works as a TypeScript standard method decorator (compiled by tsc)', async () => {
    const source = readFileSync(new URL('./fixtures/decorated-service.ts', import.meta.url), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } });
    const module = { exports: {} as Record<string, unknown> };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating tsc output is the point of this test
    const load = new Function('require', 'module', 'exports', outputText) as (r: (id: string) => unknown, m: typeof module, e: unknown) => void;
    load(() => cacheModule, module, module.exports);
    const calls = { count: 0 };
    type Service = { findUser(id: number): Promise<{ id: number; source: string; n: number }> };
    const UserService = (module.exports.defineUserService as (c: Cache, n: typeof calls) => new () => Service)(cache, calls);
    const a = new UserService();
    const b = new UserService();
    expect(await a.findUser(1)).toEqual({ id: 1, source: 'db', n: 1 });
    expect(await b.findUser(1)).toEqual({ id: 1, source: 'db', n: 1 });
    expect(calls.count).toBe(1);
    await (a.findUser as unknown as { invalidate(id: number): Promise<boolean> }).invalidate(1);
    expect(await a.findUser(1)).toEqual({ id: 1, source: 'db', n: 2 });
    expect(await withCacheControl({ bypass: true }, () => a.findUser(1))).toMatchObject({ n: 3 });
    expect(await a.findUser(1)).toMatchObject({ n: 2 });
  });
});
