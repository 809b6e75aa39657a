import { ConfigError } from '../shared/errors.ts';

/**
 * What one process does. A deployment runs API nodes, worker nodes and schedulers apart from one package and
 * one configuration (`ai-stack start --roles api`, `--roles worker`, …); the default runs all three.
 */
export type Role = 'api' | 'worker' | 'scheduler';

export const ALL_ROLES: readonly Role[] = ['api', 'worker', 'scheduler'];

/** `api,worker` → the roles; unknown, empty or repeated names are a ConfigError naming the problem. */
export function parseRoles(text: string): Role[] {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw new ConfigError(`--roles "${text}" has an empty name; use a comma-separated subset of ${ALL_ROLES.join(', ')}`);
  const roles: Role[] = [];
  for (const name of names) {
    if (!isRole(name)) throw new ConfigError(`--roles: unknown role "${name}"; roles are ${ALL_ROLES.join(', ')}`);
    if (roles.includes(name)) throw new ConfigError(`--roles: "${name}" is named twice`);
    roles.push(name);
  }
  return roles;
}

function isRole(name: string): name is Role {
  return (ALL_ROLES as readonly string[]).includes(name);
}
