import { basename } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { EmbeddingError, normalise, type Embedder } from './embedder.ts';
import { readModelDir, type ModelDir } from './model-dir.ts';

export interface OnnxEmbedderOptions {
  /** Directory with `model.onnx` and `tokenizer.json` (+ optional `tokenizer_config.json`, `1_Pooling/config.json`). */
  modelDir: string;
  /** The name vectors are stored under; the directory's name by default. A fingerprint of the files is appended. */
  name?: string;
  batchSize?: number;
  /** onnxruntime's intra-op threads; its default (one per physical core) when unset. */
  threads?: number;
}

/** The inputs BERT-style encoders take; all int64 `[batch, tokens]`. */
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

interface Encoder {
  encode(text: string): { ids: number[] };
  token_to_id(token: string): number | undefined;
}

interface Loaded {
  ort: typeof Ort;
  session: InferenceSession;
  tokenizer: Encoder;
  output: string;
  padId: number;
  specialIds: Set<number>;
}

async function load(model: ModelDir, threads: number | undefined): Promise<Loaded> {
  // Imported here, not at the top: the runtime's native library costs tens of MB and only this provider needs it.
  let ort: typeof Ort;
  let Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => Encoder;
  try {
    ort = await import('onnxruntime-node');
    // Typed by the part used: its declarations do not resolve under every project setting (eslint's type service).
    ({ Tokenizer } = (await import('@huggingface/tokenizers')) as unknown as { Tokenizer: typeof Tokenizer });
  } catch (error) {
    throw new EmbeddingError(`the onnx embeddings provider needs the packages onnxruntime-node and @huggingface/tokenizers: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let tokenizer: Encoder;
  try {
    tokenizer = new Tokenizer(model.tokenizerJson, model.tokenizerConfig);
  } catch (error) {
    throw new EmbeddingError(`cannot read the tokenizer in ${model.dir}: ${(error as Error).message}`, { cause: error });
  }
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
  } catch (error) {
    throw new EmbeddingError(`cannot load the ONNX model ${model.modelPath}: ${(error as Error).message}`, { cause: error });
  }
  const unknown = session.inputNames.filter((name) => !KNOWN_INPUTS.has(name));
  if (!session.inputNames.includes('input_ids') || unknown.length > 0) {
    await session.release();
    throw new EmbeddingError(
      `the ONNX model ${model.modelPath} takes inputs [${session.inputNames.join(', ')}]; a text encoder taking input_ids (and optionally attention_mask, token_type_ids) is needed`,
    );
  }
  const output = session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : (session.outputNames[0] as string);
  const padding = model.tokenizerJson.padding as { pad_id?: unknown } | null | undefined;
  const padId = typeof padding?.pad_id === 'number' ? padding.pad_id : (tokenizer.token_to_id('[PAD]') ?? 0);
  const added = (model.tokenizerJson.added_tokens ?? []) as { id?: unknown; special?: unknown }[];
  const specialIds = new Set(added.filter((t) => t.special === true && typeof t.id === 'number').map((t) => t.id as number));
  return { ort, session, tokenizer, output, padId, specialIds };
}

/** Token ids of one text, cut to `max` keeping the closing special token ([SEP]) the model was trained with. */
function truncate(ids: number[], max: number, specialIds: Set<number>): number[] {
  if (ids.length <= max) return ids;
  const last = ids[ids.length - 1] as number;
  return specialIds.has(last) ? [...ids.slice(0, max - 1), last] : ids.slice(0, max);
}

/**
 * A local transformer encoder (bge, MiniLM, … exported to ONNX) run by onnxruntime on the CPU: texts are
 * tokenized with the model's own tokenizer.json, batched with padding, and each `[tokens, dim]` output is
 * pooled (mean over real tokens, or the [CLS] token when the export says so) and scaled to unit length.
 * The runtime is loaded on the first `embed`; the dimension is the model's output width, known from then.
 */
export function createOnnxEmbedder(options: OnnxEmbedderOptions): Embedder {
  const model = readModelDir(options.modelDir);
  const name = `${options.name ?? basename(model.dir)}#${model.fingerprint.slice(0, 12)}`;
  let loading: Promise<Loaded> | undefined;
  let dimension = 0;

  const loaded = (): Promise<Loaded> => {
    loading ??= load(model, options.threads).catch((error: unknown) => {
      loading = undefined; // a fixed model directory is picked up by the next attempt
      throw error;
    });
    return loading;
  };

  async function run(texts: readonly string[]): Promise<Float32Array[]> {
    const { ort, session, tokenizer, output, padId, specialIds } = await loaded();
    const encoded = texts.map((text) => truncate(tokenizer.encode(text).ids, model.maxTokens, specialIds));
    const width = Math.max(1, ...encoded.map((ids) => ids.length));
    const ids = new BigInt64Array(texts.length * width).fill(BigInt(padId));
    const mask = new BigInt64Array(texts.length * width);
    encoded.forEach((row, r) =>
      row.forEach((id, t) => {
        ids[r * width + t] = BigInt(id);
        mask[r * width + t] = 1n;
      }),
    );
    const shape = [texts.length, width];
    const all: Record<string, Tensor> = {
      input_ids: new ort.Tensor('int64', ids, shape),
      attention_mask: new ort.Tensor('int64', mask, shape),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(texts.length * width), shape),
    };
    const feeds = Object.fromEntries(session.inputNames.map((input) => [input, all[input] as Tensor]));
    let result: InferenceSession.ReturnType;
    try {
      result = await session.run(feeds, [output]);
    } catch (error) {
      throw new EmbeddingError(`the ONNX model failed on a batch of ${texts.length}: ${(error as Error).message}`, { cause: error });
    }
    const hidden = result[output] as Tensor;
    const [batch, tokens, dim] = hidden.dims;
    if (hidden.type !== 'float32' || hidden.dims.length !== 3 || batch !== texts.length || tokens !== width || !dim)
      throw new EmbeddingError(
        `the ONNX model's output ${output} is ${hidden.type} [${hidden.dims.join(', ')}]; expected float32 [${texts.length}, ${width}, dim]`,
      );
    if (dimension === 0) dimension = dim;
    const data = hidden.data as Float32Array;
    return encoded.map((row, r) => {
      const vector = new Float32Array(dim);
      const rows = model.pooling === 'cls' ? 1 : row.length;
      for (let t = 0; t < rows; t++) {
        const offset = (r * width + t) * dim;
        for (let d = 0; d < dim; d++) vector[d] = (vector[d] as number) + (data[offset + d] as number);
      }
      for (let d = 0; d < dim; d++) vector[d] = (vector[d] as number) / rows;
      return normalise(vector);
    });
  }

  return {
    model: name,
    get dimension() {
      return dimension;
    },
    batchSize: options.batchSize ?? 32,
    embed: (texts) => (texts.length === 0 ? Promise.resolve([]) : run(texts)),
    async close() {
      const current = loading;
      loading = undefined;
      if (current) await (await current.catch(() => undefined))?.session.release();
    },
  };
}
