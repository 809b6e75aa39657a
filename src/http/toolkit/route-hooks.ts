import type { RouteOptions } from 'fastify';

/** One handler of a route-level hook, typed as Fastify's RouteOptions types it. */
type HookOf<N extends 'onRequest' | 'preHandler' | 'onSend' | 'onResponse'> = Exclude<NonNullable<RouteOptions[N]>, readonly unknown[]>;

/**
 * The name of the onSend hook Fastify appends to the HEAD route it exposes for every GET route
 * (fastify/lib/head-route.js). Fastify offers no other handle on it; test/http/toolkit/route-hooks.test.ts
 * pins both the name and the HEAD behaviour that depends on it, so an upgrade that changes it fails there.
 */
export const FASTIFY_HEAD_ON_SEND = 'headRouteOnSendHandler';

function listOf<T>(existing: T | readonly T[] | undefined): T[] {
  if (existing === undefined) return [];
  return Array.isArray(existing) ? [...(existing as readonly T[])] : [existing as T];
}

/*
 * Hooks are attached to one route (from an `onRoute` listener, which Fastify documents as the place to
 * change a route's options) instead of the whole context: routes that do not use a feature pay nothing
 * for it. Route-level hooks run after the context's own hooks (so after auth) and in the order they
 * were attached, which is the toolkit's registration order.
 */
export function addOnRequestHook(route: RouteOptions, hook: HookOf<'onRequest'>): void {
  route.onRequest = [...listOf(route.onRequest), hook];
}

export function addPreHandlerHook(route: RouteOptions, hook: HookOf<'preHandler'>): void {
  route.preHandler = [...listOf(route.preHandler), hook];
}

export function addOnResponseHook(route: RouteOptions, hook: HookOf<'onResponse'>): void {
  route.onResponse = [...listOf(route.onResponse), hook];
}

/**
 * Fastify's automatic HEAD route ends its onSend chain with a hook that drops the body; ours must run
 * before it so HEAD gets the same Content-Encoding, ETag and Content-Length as GET.
 */
export function addOnSendHook(route: RouteOptions, hook: HookOf<'onSend'>): void {
  const hooks = listOf(route.onSend);
  if (hooks.at(-1)?.name === FASTIFY_HEAD_ON_SEND) hooks.splice(-1, 0, hook);
  else hooks.push(hook);
  route.onSend = hooks;
}

export function routeMethods(route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((method) => String(method).toUpperCase());
}

export function routeConfig(route: RouteOptions): NonNullable<RouteOptions['config']> {
  return route.config ?? {};
}
