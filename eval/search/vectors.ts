import { createHashingEmbedder, hybridWeight, type Embedder } from '../../src/documents/index.ts';
import type { SearchDocument, VectorSource } from '../../src/search/index.ts';

/**
 * The documents module's zero-configuration embedder over the evaluation corpus, searched exactly by
 * cosine as the documents module's `similar()` does: the vector side of hybrid search, in memory.
 */
export class ExactVectorSource implements VectorSource {
  readonly #embedder: Embedder;
  readonly #ids: string[] = [];
  readonly #vectors: Float32Array[] = [];

  private constructor(embedder: Embedder) {
    this.#embedder = embedder;
  }

  static async of(documents: readonly SearchDocument[], embedder: Embedder = createHashingEmbedder()): Promise<ExactVectorSource> {
    const source = new ExactVectorSource(embedder);
    for (let k = 0; k < documents.length; k += embedder.batchSize) {
      const batch = documents.slice(k, k + embedder.batchSize);
      const vectors = await embedder.embed(batch.map((d) => d.body));
      batch.forEach((d, i) => {
        source.#ids.push(d.id);
        source.#vectors.push(vectors[i] as Float32Array);
      });
    }
    return source;
  }

  get weight(): number {
    return hybridWeight(this.#embedder);
  }

  async nearest(text: string, k: number): Promise<string[]> {
    const [query] = await this.#embedder.embed([text]);
    if (!query) return [];
    const scored = this.#vectors.map((vector, i) => {
      let score = 0;
      for (let d = 0; d < vector.length; d++) score += (vector[d] as number) * (query[d] as number);
      return { id: this.#ids[i] as string, score };
    });
    return scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map((s) => s.id);
  }
}
