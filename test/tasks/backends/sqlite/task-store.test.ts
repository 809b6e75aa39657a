import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskBackend } from '../../../../src/tasks/backend.ts';
import { createSqliteTaskBackend } from '../../../../src/tasks/backends/sqlite/index.ts';
import { until } from './env.ts';

describe('SQLite TaskStore', () => {
  let dir: string;
  let backend: TaskBackend;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-stack-sqlite-kv-'));
    backend = createSqliteTaskBackend({ file: join(dir, 'tasks.db'), keyPrefix: 'ns1:' });
  });
  afterEach(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('expires keys, and setIfAbsent takes an expired key', async () => {
    const { store } = backend;
    await store.set('a', '1', 30);
    expect(await store.get('a')).toBe('1');
    expect(await store.setIfAbsent('a', '2', 1000)).toBe(false);
    await until(async () => (await store.get('a')) === null);
    expect(await store.setIfAbsent('a', '2', 1000)).toBe(true);
    expect(await store.getMany(['a', 'missing'])).toEqual(['2', null]);
  });

  it('renews and releases a lease only for its holder', async () => {
    const { store } = backend;
    expect(await store.setIfAbsent('lease', 'me', 10_000)).toBe(true);
    expect(await store.refreshIfEquals('lease', 'someone-else', 10_000)).toBe(false);
    expect(await store.deleteIfEquals('lease', 'someone-else')).toBe(false);
    expect(await store.refreshIfEquals('lease', 'me', 10_000)).toBe(true);
    expect(await store.deleteIfEquals('lease', 'me')).toBe(true);
    expect(await store.get('lease')).toBeNull();
  });

  it('counts with a window that starts at the first increment', async () => {
    const { store } = backend;
    expect(await store.increment('n', 10_000)).toBe(1);
    expect(await store.increment('n', 10_000)).toBe(2);
    await store.set('junk', 'not a number');
    expect(await store.increment('junk', 10_000)).toBe(1);
  });

  it('scans a prefix literally: LIKE wildcards and other namespaces do not leak in', async () => {
    const { store } = backend;
    await store.set('w%:1', 'percent');
    await store.set('w_:1', 'underscore');
    await store.set('wx:1', 'plain');
    expect(await store.scan('w%:')).toEqual([{ key: 'w%:1', value: 'percent' }]);
    expect(await store.scan('w_:')).toEqual([{ key: 'w_:1', value: 'underscore' }]);
    const other = createSqliteTaskBackend({ file: join(dir, 'tasks.db'), keyPrefix: 'ns2:' });
    expect(await other.store.scan('')).toEqual([]);
    expect(await other.store.get('wx:1')).toBeNull();
  });
});
