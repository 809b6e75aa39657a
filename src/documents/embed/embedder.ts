import { AiStackError } from '../../shared/errors.ts';

/** Turns texts into vectors. `model` names the vector space: vectors of different models are never compared. */
export interface Embedder {
  readonly model: string;
  readonly dimension: number;
  /** Largest number of texts one `embed` call should carry. */
  readonly batchSize: number;
  /**
   * False for vectors of surface features (the hashing embedder): they rank the characters the lexical search
   * already matches, only worse, so hybrid search ranks by words and lets them add only what the words miss.
   * Absent: a model of meaning.
   */
  readonly semantic?: boolean;
  /** One unit-length vector per text, in order. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  close?(): Promise<void>;
}

export class EmbeddingError extends AiStackError {
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean; cause?: unknown; status?: number } = {}) {
    super(message, { code: 'embedding_failed', status: opts.status ?? 502, cause: opts.cause });
    this.retryable = opts.retryable ?? false;
  }
}

/** The weight of an embedder's ranking in hybrid search against the lexical ranking's 1 (docs/search.md, "Hybrid weights"). */
export function hybridWeight(embedder: Pick<Embedder, 'semantic'>): number {
  return embedder.semantic === false ? 0 : 1;
}

/** `model@dimension`, the key vectors are stored and searched under. */
export function embeddingSpace(embedder: Pick<Embedder, 'model' | 'dimension'>): string {
  return `${embedder.model}@${embedder.dimension}`;
}

export function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}
