/** The console's only way to the server: same-origin fetches to the public /api/v1 and /admin APIs. */

export interface SessionInfo {
  user: { id: number; username: string; role: 'admin' | 'write' | 'read' };
  csrfToken: string;
  expiresAt: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export async function api<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as { title?: string; detail?: string; code?: string };
  if (!res.ok) throw new ApiError(res.status, body.detail ?? body.title ?? res.statusText, body.code);
  return body as T;
}

export const session = {
  current: () => api<SessionInfo>('/api/v1/auth/session'),
  login: (username: string, password: string) => api<SessionInfo>('/api/v1/auth/login', { method: 'POST', json: { username, password } }),
  logout: () => api<undefined>('/api/v1/auth/logout', { method: 'POST' }),
  logoutEverywhere: () => api<{ ended: number }>('/api/v1/auth/logout-all', { method: 'POST' }),
};
