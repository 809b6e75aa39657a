import type { Metric, Registry } from 'prom-client';

/**
 * Returns the metric already registered under `name`, or registers a new one. Opening a second Db
 * on the same registry (tests, a CLI command inside the service) must not throw prom-client's
 * "already registered"; the second Db then reports through the first one's metric objects.
 */
export function registeredMetric<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
