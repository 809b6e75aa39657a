import { ValidationError, type FieldIssue } from '../../../shared/errors.ts';

/** One entry of a Microsoft Graph-style JSON batch. */
export interface BatchSubRequest {
  id: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
// Headers a client may not set on a sub-request: framing, routing, and identity come from the outer request.
const FORBIDDEN_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'authorization',
  'cookie',
  'accept-encoding',
  'upgrade',
  'expect',
]);

/** Validates a `$batch` body; every problem found is reported at once as one 400. */
export function parseBatch(body: unknown, maxRequests: number): BatchSubRequest[] {
  const list = (body as { requests?: unknown } | null)?.requests;
  if (typeof body !== 'object' || body === null || !Array.isArray(list)) {
    throw new ValidationError('A batch body is {"requests": [{"id", "method", "url", …}]}', [{ field: '/requests', message: 'required array' }]);
  }
  if (list.length === 0 || list.length > maxRequests) {
    throw new ValidationError(`A batch carries 1 to ${maxRequests} requests, got ${list.length}`, [
      { field: '/requests', message: `1 to ${maxRequests} items` },
    ]);
  }
  const issues: FieldIssue[] = [];
  const requests = list.map((entry, index) => parseEntry(entry, `/requests/${index}`, issues));
  const seen = new Set<string>();
  for (const [index, request] of requests.entries()) {
    // Graph treats ids case-insensitively.
    const id = request.id.toLowerCase();
    if (seen.has(id)) issues.push({ field: `/requests/${index}/id`, message: `duplicate id "${request.id}"` });
    seen.add(id);
  }
  for (const [index, request] of requests.entries()) {
    for (const dependency of request.dependsOn) {
      if (!seen.has(dependency.toLowerCase())) issues.push({ field: `/requests/${index}/dependsOn`, message: `unknown id "${dependency}"` });
    }
  }
  if (issues.length > 0) throw new ValidationError(`The batch is invalid: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, issues);
  const cycle = findCycle(requests);
  if (cycle !== null) throw new ValidationError(`dependsOn forms a cycle: ${cycle.join(' → ')}`, [{ field: '/requests', message: 'dependsOn cycle' }]);
  return requests;
}

function parseEntry(entry: unknown, at: string, issues: FieldIssue[]): BatchSubRequest {
  const raw = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  const id = typeof raw['id'] === 'string' && /^[\w.-]{1,64}$/.test(raw['id']) ? raw['id'] : null;
  if (id === null) issues.push({ field: `${at}/id`, message: 'required string of 1-64 letters, digits, _ . -' });
  const method = typeof raw['method'] === 'string' ? raw['method'].toUpperCase() : '';
  if (!METHODS.has(method)) issues.push({ field: `${at}/method`, message: `one of ${[...METHODS].join(', ')}` });
  const url = typeof raw['url'] === 'string' ? raw['url'] : '';
  if (!isSafeRelativeUrl(url))
    issues.push({ field: `${at}/url`, message: 'a path relative to the API root, e.g. /orders?page=2 (no scheme, host, "..", or nested $batch)' });
  const headers: Record<string, string> = {};
  if (raw['headers'] !== undefined) {
    if (typeof raw['headers'] !== 'object' || raw['headers'] === null || Array.isArray(raw['headers']))
      issues.push({ field: `${at}/headers`, message: 'an object of strings' });
    else {
      for (const [name, value] of Object.entries(raw['headers']).slice(0, 50)) {
        const lower = name.toLowerCase();
        if (typeof value !== 'string' || !/^[\w-]{1,64}$/.test(name) || value.length > 8192)
          issues.push({ field: `${at}/headers/${name.slice(0, 64)}`, message: 'a header name with a string value' });
        else if (!FORBIDDEN_HEADERS.has(lower)) headers[lower] = value;
      }
    }
  }
  const dependsOn = raw['dependsOn'] === undefined ? [] : raw['dependsOn'];
  if (!Array.isArray(dependsOn) || !dependsOn.every((d) => typeof d === 'string') || dependsOn.length > 20) {
    issues.push({ field: `${at}/dependsOn`, message: 'an array of request ids' });
  }
  if (raw['body'] !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const request: BatchSubRequest = {
    id: id ?? '',
    method: method as BatchSubRequest['method'],
    url,
    headers,
    dependsOn: Array.isArray(dependsOn) ? (dependsOn as string[]) : [],
  };
  if (raw['body'] !== undefined) request.body = raw['body'];
  return request;
}

function isSafeRelativeUrl(url: string): boolean {
  if (url.length === 0 || url.length > 2048 || !url.startsWith('/') || url.startsWith('//')) return false;
  const path = url.split('?')[0] ?? '';
  if (/[\\\s]/.test(url) || path.split('/').some((segment) => segment === '..' || segment === '.' || /%2e/i.test(segment))) return false;
  return !/\/\$batch\/?$/i.test(path);
}

/** Depth-first search for a cycle in dependsOn; returns the ids along it, or null. */
function findCycle(requests: readonly BatchSubRequest[]): string[] | null {
  const byId = new Map(requests.map((request) => [request.id.toLowerCase(), request]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dependency of byId.get(id)?.dependsOn ?? []) {
      const found = visit(dependency.toLowerCase());
      if (found !== null) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of byId.keys()) {
    const found = visit(id);
    if (found !== null) return found;
  }
  return null;
}
