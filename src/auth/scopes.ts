/** API-key scopes. They nest: admin can do everything write can, write everything read can. */
export const SCOPES = ['admin', 'write', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** True when a key holding `granted` may perform an action that needs `required`. */
export function allows(granted: readonly Scope[], required: Scope): boolean {
  return granted.some((scope) => RANK[scope] >= RANK[required]);
}

/** The more demanding of two scopes. */
export function stricterScope(a: Scope, b: Scope): Scope {
  return RANK[a] >= RANK[b] ? a : b;
}

export function parseScopes(raw: string): Scope[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(isScope);
}
