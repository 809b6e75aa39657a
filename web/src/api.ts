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

/** `path?a=1&b=…` with undefined and empty values left out. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * Uploads one file as multipart/form-data through XMLHttpRequest: fetch cannot report upload progress.
 * `onProgress` hears the fraction of bytes sent.
 */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'network error'));
    xhr.onload = () => {
      let body: { title?: string; detail?: string; code?: string } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON: the status says enough
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(xhr.status, body.detail ?? body.title ?? xhr.statusText, body.code));
    };
    xhr.send(form);
  });
}

/** `headers` adds request headers such as `Prefer: respond-async` or `If-Match`. */
export async function api<T>(path: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { ...init.headers, accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  if (res.status === 204) return undefined as T;
  if (!(res.headers.get('content-type') ?? '').includes('json') && res.ok) return (await res.text()) as T;
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
