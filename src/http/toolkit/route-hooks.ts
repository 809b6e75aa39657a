import type { RouteOptions } from 'fastify';

type HookName = 'onRequest' | 'preHandler' | 'onSend' | 'onResponse';

/**
 * Attaches a hook to one route (from an `onRoute` listener) instead of the whole context: routes that
 * do not use a feature pay nothing for it. Route-level hooks run after the context's own hooks (so
 * after auth) and in the order they were attached, which is the toolkit's registration order.
 */
export function addRouteHook(route: RouteOptions, name: HookName, hook: (...args: never[]) => unknown): void {
  const target = route as unknown as Record<HookName, unknown>;
  const existing = target[name];
  const hooks = existing === undefined ? [] : Array.isArray(existing) ? [...(existing as unknown[])] : [existing];
  // Fastify's automatic HEAD route ends its onSend chain with a hook that drops the body; ours must run
  // before it so HEAD gets the same Content-Encoding, ETag and Content-Length as GET.
  const last = hooks.at(-1);
  if (name === 'onSend' && typeof last === 'function' && last.name === 'headRouteOnSendHandler') hooks.splice(-1, 0, hook);
  else hooks.push(hook);
  target[name] = hooks;
}

export function routeMethods(route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((method) => String(method).toUpperCase());
}

export function routeConfig(route: RouteOptions): NonNullable<RouteOptions['config']> {
  return route.config ?? {};
}
