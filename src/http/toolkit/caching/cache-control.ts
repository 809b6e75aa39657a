/** A `Cache-Control` value, either literal or built from the directives an API typically needs. */
export type CacheControl =
  | string
  | {
      scope?: 'private' | 'public';
      maxAgeSeconds?: number;
      sharedMaxAgeSeconds?: number;
      staleWhileRevalidateSeconds?: number;
      noCache?: boolean;
      noStore?: boolean;
      mustRevalidate?: boolean;
      immutable?: boolean;
    };

export function formatCacheControl(value: CacheControl): string {
  if (typeof value === 'string') return value;
  const parts: string[] = [];
  if (value.scope !== undefined) parts.push(value.scope);
  if (value.noStore === true) parts.push('no-store');
  if (value.noCache === true) parts.push('no-cache');
  if (value.maxAgeSeconds !== undefined) parts.push(`max-age=${seconds(value.maxAgeSeconds)}`);
  if (value.sharedMaxAgeSeconds !== undefined) parts.push(`s-maxage=${seconds(value.sharedMaxAgeSeconds)}`);
  if (value.staleWhileRevalidateSeconds !== undefined) parts.push(`stale-while-revalidate=${seconds(value.staleWhileRevalidateSeconds)}`);
  if (value.mustRevalidate === true) parts.push('must-revalidate');
  if (value.immutable === true) parts.push('immutable');
  return parts.join(', ');
}

function seconds(value: number): number {
  return Math.max(0, Math.floor(value));
}
