import type { EmbeddingsConfig } from '../../config/index.ts';
import type { Embedder } from './embedder.ts';
import { createHashingEmbedder } from './hashing.ts';
import { createOpenAiEmbedder } from './openai.ts';
import { UnavailableError } from '../../shared/errors.ts';

export { EmbeddingError, embeddingSpace, type Embedder } from './embedder.ts';
export { createHashingEmbedder, features as hashingFeatures } from './hashing.ts';
export { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './openai.ts';

/** The embedder the configuration names (hashing unless an embeddings URL or model directory is set). */
export function embedderFor(config: EmbeddingsConfig): Embedder {
  if (config.provider === 'openai' && config.url) {
    return createOpenAiEmbedder({
      url: config.url,
      model: config.model,
      batchSize: config.batchSize,
      maxRetries: config.maxRetries,
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      ...(config.dimensions ? { dimensions: config.dimensions } : {}),
    });
  }
  if (config.provider === 'onnx')
    throw new UnavailableError(
      'the onnx embeddings provider is not available in this build (see docs/documents.md); use hashing or an OpenAI-compatible server',
      { code: 'embedder_unavailable' },
    );
  return createHashingEmbedder({ batchSize: config.batchSize, ...(config.dimensions ? { dimension: config.dimensions } : {}) });
}
