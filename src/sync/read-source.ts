import { setTimeout as sleep } from 'node:timers/promises';
import { AiStackError } from '../shared/errors.ts';
import type { OutboundClient, OutboundResponse } from '../outbound/index.ts';
import { parseCsv } from './csv.ts';
import { redact } from './secrets.ts';
import type { SourceSettings, SyncSourceRow } from './sources.ts';

/** The source could not be read completely; nothing of the run is applied. */
export class SyncFetchError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'sync_fetch_failed', status: 502 });
  }
}

export type SourceRead =
  | { notModified: true; pages: 1 }
  | {
      notModified: false;
      records: unknown[];
      pages: number;
      etag: string | null;
      lastModified: string | null;
      /** The cursor the last page was asked for with: an incremental run resumes there. */
      lastCursor: string | null;
    };

interface ReadContext {
  client: OutboundClient;
  source: SyncSourceRow;
  settings: SourceSettings;
  /** `header: value` of the decrypted credential, if any. */
  credential: { header: string; value: string } | null;
  signal?: AbortSignal;
}

/**
 * Reads every page of a source into memory (bounded by max_pages and max_rows) before anything is applied,
 * so a source failing on page 7 leaves the tables as they were.
 */
export async function readSource(ctx: ReadContext): Promise<SourceRead> {
  const { source, settings } = ctx;
  const { pagination, incremental, limits } = settings;
  const base = new URL(source.url);
  if (incremental.mode === 'updated_at' && source.high_water) base.searchParams.set(incremental.param, source.high_water);
  let cursor = incremental.mode === 'cursor' ? source.cursor : null;
  let url = withCursor(base, pagination.cursor_param, cursor);
  // A conditional request only describes a single document; a page's ETag says nothing about the other pages.
  const conditional = pagination.mode === 'none';
  const seen = new Set<string>();
  const records: unknown[] = [];
  let first: OutboundResponse | undefined;
  for (let pages = 1; ; pages++) {
    if (pages > limits.max_pages)
      throw new SyncFetchError(`${source.name} has more than ${limits.max_pages} pages; raise limits.max_pages if that is expected`);
    seen.add(pagination.mode === 'cursor' ? `cursor:${cursor ?? ''}` : url);
    const lastCursor = cursor;
    const headers: Record<string, string> = { accept: source.format === 'json' ? 'application/json' : 'text/csv' };
    if (ctx.credential) headers[ctx.credential.header] = ctx.credential.value;
    if (conditional && source.etag) headers['if-none-match'] = source.etag;
    if (conditional && source.last_modified) headers['if-modified-since'] = source.last_modified;
    const response = await fetchWithRetries(ctx, url, headers);
    first ??= response;
    if (response.status === 304 && conditional) return { notModified: true, pages: 1 };
    if (response.status < 200 || response.status > 299) throw new SyncFetchError(`${url} answered HTTP ${response.status}${snippet(response, ctx)}`);
    const body = parseBody(response, source.format, settings.items_path);
    records.push(...body.items);
    if (records.length > limits.max_rows)
      throw new SyncFetchError(`${source.name} has more than ${limits.max_rows} records; raise limits.max_rows if that is expected`);
    const next = nextPage(response, body.json, settings, base);
    if (next === null) {
      return {
        notModified: false,
        records,
        pages,
        etag: conditional ? first.headers.get('etag') : null,
        lastModified: conditional ? first.headers.get('last-modified') : null,
        lastCursor,
      };
    }
    if (next.kind === 'cursor') {
      cursor = next.cursor;
      url = withCursor(base, pagination.cursor_param, cursor);
    } else url = next.url;
    if (seen.has(next.kind === 'cursor' ? `cursor:${cursor}` : url))
      throw new SyncFetchError(
        `${source.name}'s pagination loops: page ${pages} points back at an earlier page (${next.kind === 'cursor' ? `cursor ${cursor}` : url})`,
      );
  }
}

/** 5xx, 429 and broken connections are retried with doubling pauses; refusals (SSRF, size, time) and 4xx are not. */
async function fetchWithRetries(ctx: ReadContext, url: string, headers: Record<string, string>): Promise<OutboundResponse> {
  const { retries } = ctx.settings.limits;
  for (let attempt = 0; ; attempt++) {
    let response: OutboundResponse | undefined;
    let failure: Error | undefined;
    try {
      response = await ctx.client.fetch(url, { headers, credentialHeaders: ctx.credential ? [ctx.credential.header] : [] });
    } catch (error) {
      if (!(error instanceof AiStackError) || error.code !== 'outbound_failed') throw redactError(error, ctx);
      failure = error;
    }
    const transient = failure !== undefined || (response !== undefined && (response.status >= 500 || response.status === 429));
    if (!transient) return response as OutboundResponse;
    if (attempt >= retries) {
      const why = failure ? failure.message : `HTTP ${response?.status}${response ? snippet(response, ctx) : ''}`;
      throw new SyncFetchError(redact(`${url} failed after ${attempt + 1} attempt(s): ${why}`, ctx.credential?.value));
    }
    ctx.signal?.throwIfAborted();
    await sleep(Math.min(200 * 2 ** attempt, 5_000), undefined, ctx.signal ? { signal: ctx.signal } : undefined);
  }
}

function parseBody(response: OutboundResponse, format: 'json' | 'csv', itemsPath: string): { items: unknown[]; json: unknown } {
  const text = response.body.toString('utf8');
  if (format === 'csv') return { items: parseCsv(text), json: undefined };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyncFetchError(`${response.url} did not answer JSON: ${(error as Error).message}`);
  }
  const items = itemsPath === '' ? json : pathOf(json, itemsPath);
  if (!Array.isArray(items)) throw new SyncFetchError(`${response.url}: ${itemsPath === '' ? 'the body' : `"${itemsPath}"`} is not an array of records`);
  return { items, json };
}

function nextPage(
  response: OutboundResponse,
  json: unknown,
  settings: SourceSettings,
  base: URL,
): { kind: 'url'; url: string } | { kind: 'cursor'; cursor: string } | null {
  const { mode, next_field } = settings.pagination;
  if (mode === 'none') return null;
  const field = next_field ? pathOf(json, next_field) : undefined;
  if (mode === 'cursor') {
    if (field === null || field === undefined || field === '') return null;
    if (typeof field !== 'string' && typeof field !== 'number') throw new SyncFetchError(`${response.url}: "${next_field}" is not a cursor (string or number)`);
    return { kind: 'cursor', cursor: String(field) };
  }
  const link = next_field ? field : linkNext(response.headers.get('link'));
  if (link === null || link === undefined || link === '') return null;
  if (typeof link !== 'string') throw new SyncFetchError(`${response.url}: "${next_field}" is not a URL`);
  const next = new URL(link, response.url);
  // The credential is meant for the source's origin; a next link elsewhere is not followed (and would need its own SSRF review).
  if (next.origin !== base.origin) throw new SyncFetchError(`${response.url}: the next page ${next.origin} leaves the source's origin ${base.origin}`);
  return { kind: 'url', url: next.toString() };
}

/** RFC 8288: `<url>; rel="next"` among comma-separated links. */
function linkNext(header: string | null): string | null {
  if (!header) return null;
  for (const match of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '')?.[1] ?? '';
    if (rel.toLowerCase().split(/\s+/).includes('next')) return match[1] ?? null;
  }
  return null;
}

function pathOf(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function withCursor(base: URL, param: string, cursor: string | null): string {
  const url = new URL(base);
  if (cursor !== null) url.searchParams.set(param, cursor);
  return url.toString();
}

function snippet(response: OutboundResponse, ctx: ReadContext): string {
  const text = response.body.toString('utf8', 0, Math.min(response.body.length, 200)).replace(/\s+/g, ' ').trim();
  return text ? `: ${redact(text, ctx.credential?.value)}` : '';
}

function redactError(error: unknown, ctx: ReadContext): unknown {
  if (error instanceof Error && ctx.credential) error.message = redact(error.message, ctx.credential.value);
  return error;
}
