import type { EmbeddingsConfig } from '../../config/index.ts';
import type { Embedder } from './embedder.ts';
import { createHashingEmbedder } from './hashing.ts';
import { createOnnxEmbedder } from './onnx.ts';
import { createOpenAiEmbedder } from './openai.ts';

export { EmbeddingError, embeddingSpace, hybridWeight, type Embedder } from './embedder.ts';
export { createHashingEmbedder, features as hashingFeatures } from './hashing.ts';
export { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './openai.ts';
export { createOnnxEmbedder, type OnnxEmbedderOptions } from './onnx.ts';

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
  if (config.provider === 'onnx' && config.modelDir) {
    // The default model name belongs to the hashing embedder; an ONNX model is named after its directory unless named.
    const name = config.model === 'hashing-ngram-v1' ? undefined : config.model;
    return createOnnxEmbedder({ modelDir: config.modelDir, batchSize: config.batchSize, ...(name ? { name } : {}) });
  }
  return createHashingEmbedder({ batchSize: config.batchSize, ...(config.dimensions ? { dimension: config.dimensions } : {}) });
}
