import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError } from '../../shared/errors.ts';

export type Pooling = 'mean' | 'cls';

/** What a local model directory holds, read and checked once when the embedder is built. */
export interface ModelDir {
  dir: string;
  modelPath: string;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  pooling: Pooling;
  /** Longest token sequence fed to the model (special tokens included); longer texts are cut. */
  maxTokens: number;
  /** sha256 of the files that decide the vectors: a changed model is a new embedding space even under the same name. */
  fingerprint: string;
}

const DEFAULT_MAX_TOKENS = 512;

function readJson(path: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`AI_STACK_EMBEDDINGS_MODEL_DIR: ${what} ${path} is not readable JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`AI_STACK_EMBEDDINGS_MODEL_DIR: ${what} ${path} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Hashes in 1 MB reads, so a model of hundreds of MB costs no memory. */
function hashFiles(paths: readonly string[]): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const path of paths) {
    hash.update(`${basename(path)}\0`);
    const fd = openSync(path, 'r');
    try {
      for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  return hash.digest('hex');
}

/**
 * Pooling as sentence-transformers exports declare it (`1_Pooling/config.json`: bge models pool the
 * [CLS] token, MiniLM and most others average the tokens); mean when the directory does not say.
 */
function poolingOf(dir: string): Pooling {
  const path = join(dir, '1_Pooling', 'config.json');
  if (!existsSync(path)) return 'mean';
  const config = readJson(path, 'pooling config');
  if (config.pooling_mode_cls_token === true) return 'cls';
  if (config.pooling_mode_mean_tokens === true) return 'mean';
  throw new ConfigError(`AI_STACK_EMBEDDINGS_MODEL_DIR: ${path} asks for a pooling other than CLS or mean tokens, which is not supported`);
}

function maxTokensOf(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>): number {
  const truncation = tokenizerJson.truncation as { max_length?: unknown } | null | undefined;
  const candidates = [truncation?.max_length, tokenizerConfig.model_max_length];
  // Tokenizers without a limit say model_max_length = 1e30; BERT-style models have 512 positions.
  const declared = candidates.find((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 2 && v <= 32_768);
  return declared ?? DEFAULT_MAX_TOKENS;
}

/** Reads `model.onnx`, `tokenizer.json` and the optional `tokenizer_config.json` and `1_Pooling/config.json`. */
export function readModelDir(dir: string): ModelDir {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`AI_STACK_EMBEDDINGS_MODEL_DIR: ${dir} is not a directory`);
  const modelPath = join(dir, 'model.onnx');
  const tokenizerPath = join(dir, 'tokenizer.json');
  for (const [path, what] of [
    [modelPath, 'the model (an ONNX export, e.g. optimum-cli export onnx)'],
    [tokenizerPath, 'the tokenizer (tokenizer.json, as published with the model)'],
  ] as const) {
    if (!existsSync(path)) throw new ConfigError(`AI_STACK_EMBEDDINGS_MODEL_DIR: ${path} is missing: the directory must hold ${what}`);
  }
  const tokenizerJson = readJson(tokenizerPath, 'tokenizer');
  if (typeof tokenizerJson.model !== 'object' || tokenizerJson.model === null)
    throw new ConfigError(`AI_STACK_EMBEDDINGS_MODEL_DIR: ${tokenizerPath} has no "model" section: is it a Hugging Face tokenizer.json?`);
  const configPath = join(dir, 'tokenizer_config.json');
  const tokenizerConfig = existsSync(configPath) ? readJson(configPath, 'tokenizer config') : {};
  const poolingPath = join(dir, '1_Pooling', 'config.json');
  const decisive = [modelPath, tokenizerPath, configPath, poolingPath].filter((p) => existsSync(p));
  return {
    dir,
    modelPath,
    tokenizerJson,
    tokenizerConfig,
    pooling: poolingOf(dir),
    maxTokens: maxTokensOf(tokenizerJson, tokenizerConfig),
    fingerprint: hashFiles(decisive),
  };
}
