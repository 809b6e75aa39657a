import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/shared/errors.ts';

describe('configuration', () => {
  it('defaults to the embedded setup: port 3000, SQLite in ./data, no Redis', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    // Durable commits by default: a 201 survives a power cut, as with PostgreSQL's defaults.
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/ai-stack.db'), synchronous: 'full' });
    expect(config.redis).toBeNull();
    expect(config.adminKey).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('reads the slow-query threshold and parameter allow-list', () => {
    expect(loadConfig({}).slowQueries).toEqual({ thresholdMs: 100, allowParametersFor: [] });
    expect(loadConfig({ AI_STACK_SLOW_QUERY_MS: '250', AI_STACK_SLOW_QUERY_PARAMETERS: ' products, accounts ,' }).slowQueries).toEqual({
      thresholdMs: 250,
      allowParametersFor: ['products', 'accounts'],
    });
  });

  it('lets SQLite trade power-loss durability for cheaper commits only when asked', () => {
    expect(loadConfig({ AI_STACK_SQLITE_SYNCHRONOUS: 'NORMAL' }).database).toMatchObject({ kind: 'sqlite', synchronous: 'normal' });
    // Validated even while PostgreSQL is in use, and pool size even on SQLite.
    expect(() => loadConfig({ DATABASE_URL: 'postgres://127.0.0.1:5432/test', AI_STACK_SQLITE_SYNCHRONOUS: 'sometimes' })).toThrow(
      /AI_STACK_SQLITE_SYNCHRONOUS/,
    );
    expect(() => loadConfig({ AI_STACK_DB_POOL_SIZE: 'many' })).toThrow(/AI_STACK_DB_POOL_SIZE/);
  });

  it('reads PostgreSQL and Redis URLs', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://127.0.0.1:5432/test', REDIS_URL: 'redis://127.0.0.1:6379', USER: 'ci' });
    expect(config.database).toMatchObject({ kind: 'postgres', url: 'postgres://127.0.0.1:5432/test' });
    expect(config.redis).toMatchObject({ url: 'redis://127.0.0.1:6379', keyPrefix: 'ai-stack' });
    expect(config.redis?.clusterSeeds).toBeUndefined();
  });

  it('reads a Redis Cluster from several seed URLs or REDIS_CLUSTER=1, and refuses another REDIS_CLUSTER value', () => {
    const seeds = loadConfig({ REDIS_URL: 'redis://127.0.0.1:7000, redis://127.0.0.1:7001' });
    expect(seeds.redis).toEqual({ url: 'redis://127.0.0.1:7000', keyPrefix: 'ai-stack', clusterSeeds: ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'] });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:7000', REDIS_CLUSTER: '1' }).redis?.clusterSeeds).toEqual(['redis://127.0.0.1:7000']);
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:7000', REDIS_CLUSTER: 'yes' })).toThrow(/REDIS_CLUSTER must be 1 or 0/);
  });

  it.each([
    ['PORT', 'eighty', /PORT: must be a whole number/],
    ['PORT', '70000', /PORT: must be between 0 and 65535/],
    ['DATABASE_URL', 'mysql://localhost/db', /DATABASE_URL: unsupported scheme "mysql:"/],
    ['DATABASE_URL', 'postgres://localhost', /DATABASE_URL: must name a database/],
    ['DATABASE_URL', 'postgres://127.0.0.1:5432/test', /DATABASE_URL: names no user and neither PGUSER nor USER is set; put one in the URL/],
    ['REDIS_URL', 'not a url', /REDIS_URL: is not a URL/],
    ['REDIS_URL', 'redis://127.0.0.1:7000,http://127.0.0.1:7001', /REDIS_URL: unsupported scheme "http:"/],
    ['REDIS_URL', ',', /REDIS_URL: is empty/],
    ['AI_STACK_ADMIN_KEY', 'admin123', /AI_STACK_ADMIN_KEY: must be at least 24 characters/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: must be one of/],
    ['AI_STACK_SQLITE_SYNCHRONOUS', 'off', /AI_STACK_SQLITE_SYNCHRONOUS: must be one of full, normal/],
    ['AI_STACK_SLOW_QUERY_MS', '-5', /AI_STACK_SLOW_QUERY_MS: must be a whole number/],
    ['AI_STACK_SLOW_QUERY_PARAMETERS', "customers,x'; drop table y", /AI_STACK_SLOW_QUERY_PARAMETERS: must be comma-separated table names/],
    ['HOST', 'bad host;rm -rf', /HOST: is not a host name/],
  ])('names the variable when %s=%s is invalid', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reports every invalid variable at once', () => {
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'y' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.field)).toEqual(['PORT', 'LOG_LEVEL']);
    }
  });

  it('masks secrets when describing the configuration', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:s3cret@db:5432/prod',
      REDIS_URL: 'redis://:hunter2@cache:6379',
      AI_STACK_ADMIN_KEY: 'k'.repeat(40),
    });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('k'.repeat(40));
  });
});
