import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddingError, normalise, type Embedder } from './embedder.ts';

export interface OpenAiEmbedderOptions {
  /** Base URL up to and including `/v1` (OpenAI, Ollama, vLLM and TEI all serve `POST {base}/embeddings`). */
  url: string;
  model: string;
  apiKey?: string;
  /** Sent as `dimensions` (models that can shorten their vectors); otherwise learned from the first answer. */
  dimensions?: number;
  batchSize?: number;
  maxRetries?: number;
  /** First backoff delay; doubles per retry, capped at 30 s, with jitter. A `Retry-After` header wins. */
  backoffMs?: number;
  timeoutMs?: number;
}

interface EmbeddingsResponse {
  data?: { embedding?: unknown; index?: unknown }[];
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function errorMessage(response: Response): Promise<string> {
  const body = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    if (message) return message.slice(0, 500);
  } catch {
    // not JSON
  }
  return body.slice(0, 200) || response.statusText;
}

/**
 * An OpenAI-compatible `/v1/embeddings` client: batches, retries 429 and 5xx with exponential backoff
 * (honouring `Retry-After`), refuses answers of the wrong shape, and normalises the vectors.
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const endpoint = `${options.url.replace(/\/+$/, '')}/embeddings`;
  const maxRetries = options.maxRetries ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  let dimension = options.dimensions ?? 0;

  async function once(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify({
          model: options.model,
          input: texts,
          encoding_format: 'float',
          ...(options.dimensions ? { dimensions: options.dimensions } : {}),
        }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new EmbeddingError(`embeddings server ${endpoint} cannot be reached: ${(error as Error).message}`, { retryable: !signal?.aborted, cause: error });
    }
    if (!response.ok) {
      const message = await errorMessage(response);
      const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
      const error = new EmbeddingError(`embeddings server answered ${response.status}: ${message}`, { retryable, status: response.status === 429 ? 503 : 502 });
      Object.assign(error, { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) });
      throw error;
    }
    const body = (await response.json().catch(() => ({}))) as EmbeddingsResponse;
    if (!Array.isArray(body.data) || body.data.length !== texts.length)
      throw new EmbeddingError(`embeddings server returned ${Array.isArray(body.data) ? body.data.length : 'no'} vectors for ${texts.length} inputs`);
    const vectors = new Array<Float32Array | undefined>(texts.length);
    for (const [position, item] of body.data.entries()) {
      const index = typeof item.index === 'number' ? item.index : position;
      if (!Array.isArray(item.embedding) || !item.embedding.every((v) => typeof v === 'number' && Number.isFinite(v)))
        throw new EmbeddingError('embeddings server returned a vector that is not a list of numbers');
      if (dimension === 0) dimension = item.embedding.length;
      if (item.embedding.length !== dimension)
        throw new EmbeddingError(`embeddings server returned ${item.embedding.length} dimensions, expected ${dimension}`);
      vectors[index] = normalise(Float32Array.from(item.embedding as number[]));
    }
    if (vectors.some((v) => v === undefined)) throw new EmbeddingError('embeddings server returned duplicate or missing indexes');
    return vectors as Float32Array[];
  }

  return {
    model: options.model,
    get dimension() {
      return dimension;
    },
    batchSize: options.batchSize ?? 64,
    async embed(texts, signal) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(texts, signal);
        } catch (error) {
          if (!(error instanceof EmbeddingError) || !error.retryable || attempt >= maxRetries) throw error;
          const hinted = (error as EmbeddingError & { retryAfterMs?: number }).retryAfterMs;
          const exponential = Math.min(30_000, backoffMs * 2 ** attempt);
          await sleep(hinted ?? exponential * (0.5 + Math.random() / 2), undefined, signal ? { signal } : {});
        }
      }
    },
  };
}
