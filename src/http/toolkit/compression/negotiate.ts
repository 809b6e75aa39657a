/** Content codings the toolkit can produce, in our default order of preference for equal q-values. */
export type Coding = 'zstd' | 'br' | 'gzip';
export type Negotiated =
  | {
      coding: Coding | 'identity';
      identityAllowed: boolean;
      /** The best non-brotli coding the client weights as highly as the choice (brotli is slow on small bodies). */
      fastAlternative: Coding | null;
    }
  | { coding: null; identityAllowed: false; fastAlternative: null };

export const DEFAULT_PREFERENCE: readonly Coding[] = ['zstd', 'br', 'gzip'];

const Q_VALUE = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

/**
 * RFC 9110 §12.5.3: picks the coding with the highest q-value (server preference breaks ties).
 * A coding not listed is unacceptable unless `*` covers it; identity is acceptable unless excluded
 * explicitly or by `*;q=0`. `coding: null` means nothing is acceptable — the caller answers 406.
 */
export function negotiateEncoding(header: string | undefined, preference: readonly Coding[] = DEFAULT_PREFERENCE): Negotiated {
  if (header === undefined) return { coding: 'identity', identityAllowed: true, fastAlternative: null };
  const weights = parseAcceptEncoding(header);
  const star = weights.get('*');
  let best: Coding | null = null;
  let bestQ = 0;
  for (const coding of preference) {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  const fastAlternative = preference.find((coding) => coding !== 'br' && bestQ > 0 && (weights.get(coding) ?? star ?? 0) === bestQ) ?? null;
  // Identity is acceptable unless excluded, but only competes on weight when the client weighted it.
  const identityWeight = weights.get('identity') ?? star;
  const identityAllowed = identityWeight === undefined || identityWeight > 0;
  if (best !== null && (identityWeight === undefined || bestQ >= identityWeight)) return { coding: best, identityAllowed, fastAlternative };
  if (identityAllowed) return { coding: 'identity', identityAllowed, fastAlternative: null };
  return { coding: null, identityAllowed: false, fastAlternative: null };
}

/** Lower-cased coding → q. Malformed members are ignored rather than guessed at. */
export function parseAcceptEncoding(header: string): Map<string, number> {
  const weights = new Map<string, number>();
  if (header.length > 1024) return weights; // nobody legitimately sends more; don't spend CPU on it
  for (const member of header.split(',')) {
    const [rawToken, ...params] = member.split(';');
    const token = rawToken?.trim().toLowerCase() ?? '';
    if (token === '' || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(token)) continue;
    let q = 1;
    let valid = true;
    for (const param of params) {
      const text = param.trim();
      if (!/^q=/i.test(text)) continue;
      const match = Q_VALUE.exec(text);
      if (match?.[1] === undefined) valid = false;
      else q = Number(match[1]);
    }
    if (!valid) continue;
    const name = token === 'x-gzip' ? 'gzip' : token;
    // When a coding is repeated, the most generous weight counts.
    weights.set(name, Math.max(q, weights.get(name) ?? 0));
  }
  return weights;
}
