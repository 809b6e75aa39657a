import { AsyncLocalStorage } from 'node:async_hooks';
import type { Cache } from './cache.ts';
import type { GetOrSetOptions } from './types.ts';
import { hashArgs } from './keys.ts';
import { ValidationError } from '../shared/errors.ts';

type AnyArgs = unknown[];

export interface CachedOptions<A extends AnyArgs, R> extends Omit<GetOrSetOptions<R>, 'tags' | 'forceRefresh'> {
  /** The cache, or a function returning it (resolved at call time, so it may be created later). */
  cache: Cache | (() => Cache);
  /** Name part of the key; default the function or method name. */
  name?: string;
  /**
   * Key template or builder. Template placeholders: `{0}` (first argument), `{1.id}` (a property of
   * the second), `{id}` or `{args.id}` (a property of the first). Default: `<name>:<hash of args>`.
   */
  key?: string | ((...args: A) => string);
  tags?: readonly string[] | ((...args: A) => readonly string[]);
}

export interface CachedFunction<A extends AnyArgs, R> {
  (...args: A): Promise<R>;
  /** Deletes the entry for these arguments (in every process). */
  invalidate(...args: A): Promise<boolean>;
  /** Reloads and stores the entry for these arguments. */
  refresh(...args: A): Promise<R>;
  /** Calls the function without touching the cache. */
  bypass(...args: A): Promise<R>;
  /** The cache key (before prefix/namespace) for these arguments. */
  keyFor(...args: A): string;
}

export interface CacheControl {
  bypass?: boolean;
  forceRefresh?: boolean;
}

const control = new AsyncLocalStorage<CacheControl>();

/** Runs `fn` with per-call cache control for every cached function it calls (works for decorated methods too). */
export function withCacheControl<T>(ctl: CacheControl, fn: () => T): T {
  return control.run(ctl, fn);
}

const PLACEHOLDER = /\{([A-Za-z0-9_.$]+)\}/g;

/** Fills a key template from call arguments. */
export function renderKeyTemplate(template: string, args: readonly unknown[]): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => {
    const parts = path.split('.');
    if (parts[0] === 'args') parts.shift();
    let value: unknown = parts.length === 0 || !/^\d+$/.test(parts[0] as string) ? args[0] : args[Number(parts.shift())];
    for (const part of parts) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) {
        throw new ValidationError(`cache key template "${template}" has no value for {${path}}`);
      }
      value = (value as Record<string, unknown>)[part];
    }
    return formatKeyPart(value);
  });
}

function formatKeyPart(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  return hashArgs([value]);
}

function resolveCache(cache: Cache | (() => Cache)): Cache {
  return typeof cache === 'function' ? cache() : cache;
}

/** Wraps an async function so its results are cached per argument list. */
export function cachedFunction<A extends AnyArgs, R>(
  fn: (...args: A) => Promise<R> | R,
  options: CachedOptions<A, R>,
  thisArg?: unknown,
): CachedFunction<A, R> {
  const name = options.name ?? (fn.name || 'fn');
  const { cache: _cache, name: _name, key: _key, tags: _tags, ...rest } = options;
  const keyFor = (...args: A): string => {
    const k = options.key;
    if (typeof k === 'function') return k(...args);
    if (typeof k === 'string') return k.includes('{') ? renderKeyTemplate(k, args) : `${k}:${hashArgs(args)}`;
    return `${name}:${hashArgs(args)}`;
  };
  const call = (args: A): Promise<R> => Promise.resolve(fn.apply(thisArg, args));
  const run = (args: A, forceRefresh: boolean): Promise<R> => {
    const ctl = control.getStore();
    if (ctl?.bypass === true) return call(args);
    const tags = typeof options.tags === 'function' ? options.tags(...args) : options.tags;
    return resolveCache(options.cache).getOrSet(keyFor(...args), () => call(args), {
      ...rest,
      ...(tags === undefined ? {} : { tags }),
      forceRefresh: forceRefresh || ctl?.forceRefresh === true,
    });
  };
  const wrapped = ((...args: A) => run(args, false)) as CachedFunction<A, R>;
  wrapped.invalidate = (...args: A) => resolveCache(options.cache).delete(keyFor(...args));
  wrapped.refresh = (...args: A) => run(args, true);
  wrapped.bypass = (...args: A) => call(args);
  wrapped.keyFor = keyFor;
  return wrapped;
}

type Method<This, A extends AnyArgs, R> = (this: This, ...args: A) => Promise<R>;

/**
 * `cached(fn, options)` wraps a function; `@cached(options)` decorates a class method (TypeScript 5+
 * standard decorators). A decorated method's cache entry does not depend on `this`: use it for
 * methods whose result depends only on their arguments. The decorated method also carries
 * `.invalidate(...args)`; use withCacheControl() for per-call bypass or force-refresh.
 */
export function cached<A extends AnyArgs, R>(fn: (...args: A) => Promise<R> | R, options: CachedOptions<A, R>): CachedFunction<A, R>;
export function cached<This, A extends AnyArgs, R>(
  options: CachedOptions<A, R>,
): (method: Method<This, A, R>, context: ClassMethodDecoratorContext<This, Method<This, A, R>>) => Method<This, A, R>;
export function cached<This, A extends AnyArgs, R>(
  fnOrOptions: ((...args: A) => Promise<R> | R) | CachedOptions<A, R>,
  maybeOptions?: CachedOptions<A, R>,
): CachedFunction<A, R> | ((method: Method<This, A, R>, context: ClassMethodDecoratorContext<This, Method<This, A, R>>) => Method<This, A, R>) {
  if (typeof fnOrOptions === 'function') {
    if (maybeOptions === undefined) throw new ValidationError('cached(fn, options) needs options with a cache');
    return cachedFunction(fnOrOptions, maybeOptions);
  }
  const options = fnOrOptions;
  return (method: Method<This, A, R>, context: ClassMethodDecoratorContext<This, Method<This, A, R>>): Method<This, A, R> => {
    if (context.kind !== 'method') throw new ValidationError('@cached() applies to methods only');
    const name = options.name ?? String(context.name);
    const decorated = function (this: This, ...args: A): Promise<R> {
      return cachedFunction(method, { ...options, name }, this)(...args);
    };
    const shared = cachedFunction(method, { ...options, name });
    return Object.assign(decorated, { invalidate: (...args: A) => shared.invalidate(...args) });
  };
}
