import { normalise, type Embedder } from './embedder.ts';

const HAN = /\p{Script=Han}/u;

/** FNV-1a, 32 bit: fast, stable across platforms and releases (the vectors must not change under a stored index). */
function fnv1a(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Features of a text: for Han script, character unigrams, bigrams and trigrams (Chinese words are one to
 * three characters and need no segmenter); for other scripts, lower-cased words and their character
 * trigrams (robust to inflection: "report"/"reports").
 */
export function features(text: string): string[] {
  const out: string[] = [];
  const normalised = text.normalize('NFKC').toLowerCase();
  for (const run of normalised.match(/\p{Script=Han}+|[\p{L}\p{N}]+/gu) ?? []) {
    if (HAN.test(run)) {
      const chars = [...run];
      for (let i = 0; i < chars.length; i++) {
        out.push(`h1:${chars[i]}`);
        if (i + 1 < chars.length) out.push(`h2:${chars[i]}${chars[i + 1]}`);
        if (i + 2 < chars.length) out.push(`h3:${chars[i]}${chars[i + 1]}${chars[i + 2]}`);
      }
    } else {
      out.push(`w:${run}`);
      const padded = `<${run}>`;
      if (padded.length > 3) for (let i = 0; i + 3 <= padded.length; i++) out.push(`c:${padded.slice(i, i + 3)}`);
    }
  }
  return out;
}

/**
 * The zero-configuration embedder: feature hashing of character n-grams into `dimension` buckets with a
 * hashed sign, sub-linear term weights, unit length. Deterministic, no model, no download; it finds
 * lexically similar chunks in Chinese and English, not paraphrases (use a real model for those).
 */
export function createHashingEmbedder(options: { dimension?: number; batchSize?: number } = {}): Embedder {
  const dimension = options.dimension ?? 384;
  return {
    model: 'hashing-ngram-v1',
    dimension,
    semantic: false,
    batchSize: options.batchSize ?? 256,
    async embed(texts) {
      return texts.map((text) => {
        const counts = new Map<string, number>();
        for (const feature of features(text)) counts.set(feature, (counts.get(feature) ?? 0) + 1);
        const vector = new Float32Array(dimension);
        for (const [feature, count] of counts) {
          const bucket = fnv1a(feature, 0) % dimension;
          const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
          vector[bucket] = (vector[bucket] as number) + sign * (1 + Math.log(count));
        }
        return normalise(vector);
      });
    },
  };
}
