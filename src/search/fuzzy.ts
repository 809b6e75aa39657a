/** Levenshtein distance, giving up (returning max + 1) as soon as it must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const value = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length] as number;
}

/** Typos allowed in a Latin-script term of this length (Meilisearch's defaults: 1 from 5 letters, 2 from 9). */
export function allowedTypos(term: string): number {
  return term.length >= 9 ? 2 : term.length >= 5 ? 1 : 0;
}

/** The vocabulary terms within the allowed typos of `term`, closest first. */
export function nearTerms(term: string, vocabulary: readonly string[], limit = 5): string[] {
  const max = allowedTypos(term);
  if (max === 0) return [];
  return vocabulary
    .map((candidate) => ({ candidate, distance: editDistance(term, candidate, max) }))
    .filter((c) => c.distance <= max && c.candidate !== term)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, limit)
    .map((c) => c.candidate);
}
