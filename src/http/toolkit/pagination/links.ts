import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeysetPage, OffsetPage } from './pages.ts';

/** RFC 8288 `Link` with first/prev/next/last for an offset page, built from the request's own URL. */
export function offsetLinks(requestUrl: string, page: OffsetPage<unknown>): string {
  const links: string[] = [];
  const at = (n: number): string => withParams(requestUrl, { page: String(n), page_size: String(page.page_size) });
  links.push(`<${at(1)}>; rel="first"`);
  if (page.has_prev) links.push(`<${at(page.page - 1)}>; rel="prev"`);
  if (page.has_next) links.push(`<${at(page.page + 1)}>; rel="next"`);
  if (page.total_pages !== null) links.push(`<${at(page.total_pages)}>; rel="last"`);
  return links.join(', ');
}

export function keysetLinks(requestUrl: string, page: KeysetPage<unknown>): string {
  if (page.next_cursor === null) return '';
  return `<${withParams(requestUrl, { cursor: page.next_cursor, limit: String(page.limit) })}>; rel="next"`;
}

/** Sets `Link` on the reply for either page shape. */
export function setPageLinks(request: FastifyRequest, reply: FastifyReply, page: OffsetPage<unknown> | KeysetPage<unknown>): void {
  const value = 'has_more' in page ? keysetLinks(request.url, page) : offsetLinks(request.url, page);
  if (value !== '') reply.header('link', value);
}

function withParams(requestUrl: string, params: Record<string, string>): string {
  const url = new URL(requestUrl, 'http://placeholder');
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}
