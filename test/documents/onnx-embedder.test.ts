import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxEmbedder, DocumentPipeline, EmbeddingError } from '../../src/documents/index.ts';
import { ConfigError } from '../../src/shared/errors.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { allChunks, settled, upload } from './support.ts';
import { table, tinyTokenizer, TINY_WORDS, writeTinyModelDir } from './tiny-onnx.ts';

const root = mkdtempSync(join(tmpdir(), 'ai-stack-onnx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const { vocab } = tinyTokenizer(TINY_WORDS);
const idOf = (token: string) => vocab.indexOf(token);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * (b[i] as number), 0);

/** What the model must give for these token ids, computed here from the table the model was written with. */
function expected(tokens: string[], dimension: number, seed: number, pooling: 'mean' | 'cls' = 'mean', tokenTypes = false): number[] {
  const embeddings = table(vocab.length, dimension, seed);
  const types = tokenTypes ? table(2, dimension, seed + 7) : new Float32Array(2 * dimension);
  const bias = table(1, dimension, seed + 13);
  const rows = pooling === 'cls' ? tokens.slice(0, 1) : tokens;
  const sum = new Array<number>(dimension).fill(0);
  for (const token of rows)
    for (let d = 0; d < dimension; d++)
      sum[d] = (sum[d] as number) + (embeddings[idOf(token) * dimension + d] as number) + (types[d] as number) + (bias[d] as number);
  const norm = Math.hypot(...sum);
  return sum.map((v) => v / norm);
}

const close = (actual: Float32Array | undefined, wanted: number[]) => {
  expect(actual).toBeDefined();
  expect(Array.from(actual as Float32Array).map((v) => Number(v.toFixed(5)))).toEqual(wanted.map((v) => Number(v.toFixed(5))));
};

describe('ONNX embedder on a tiny model written by the test (real onnxruntime, real tokenizer)', () => {
  const dirA = writeTinyModelDir(join(root, 'tiny-a'), { dimension: 8, seed: 1 });

  it('tokenizes with tokenizer.json, mean-pools the real tokens and returns unit vectors; the dimension comes from the model', async () => {
    const embedder = createOnnxEmbedder({ modelDir: dirA });
    expect(embedder.dimension).toBe(0);
    expect(embedder.model).toMatch(/^tiny-a#[0-9a-f]{12}$/);
    const [report, weather, chinese] = await embedder.embed(['The report', 'the weather is nice today', '运输成本']);
    expect(embedder.dimension).toBe(8);
    close(report, expected(['[CLS]', 'the', 'report', '[SEP]'], 8, 1));
    close(weather, expected(['[CLS]', 'the', 'weather', 'is', 'nice', 'today', '[SEP]'], 8, 1));
    // BertPreTokenizer splits Han characters one by one; WordPiece continues words with ##.
    close(chinese, expected(['[CLS]', '运', '输', '成', '本', '[SEP]'], 8, 1));
    const [costs] = await embedder.embed(['costs']);
    close(costs, expected(['[CLS]', 'cost', '##s', '[SEP]'], 8, 1));
    expect(Math.abs(cosine(report as Float32Array, report as Float32Array) - 1)).toBeLessThan(1e-5);
    await embedder.close?.();
  });

  it('gives the same vector for the same text alone or padded in a batch, and different vectors for different texts', async () => {
    const embedder = createOnnxEmbedder({ modelDir: dirA });
    const [alone] = await embedder.embed(['shipping cost']);
    const [inBatch, longer] = await embedder.embed(['shipping cost', 'the report shipping costs rose today']);
    const [again] = await embedder.embed(['shipping cost']);
    expect(Array.from(again as Float32Array)).toEqual(Array.from(alone as Float32Array));
    close(inBatch, Array.from(alone as Float32Array));
    expect(cosine(alone as Float32Array, longer as Float32Array)).toBeLessThan(0.999);
    expect(await embedder.embed([])).toEqual([]);
    await embedder.close?.();
  });

  it('cuts texts longer than model_max_length, keeping [SEP]', async () => {
    const short = createOnnxEmbedder({ modelDir: writeTinyModelDir(join(root, 'tiny-max4'), { dimension: 8, seed: 1, maxLength: 4 }) });
    const [cut] = await short.embed(['the report shipping cost rose']);
    close(cut, expected(['[CLS]', 'the', 'report', '[SEP]'], 8, 1));
    await short.close?.();
  });

  it('feeds token_type_ids to models that take them and pools [CLS] when 1_Pooling/config.json says so (bge)', async () => {
    const bgeLike = createOnnxEmbedder({ modelDir: writeTinyModelDir(join(root, 'tiny-cls'), { dimension: 6, seed: 3, tokenTypes: true, pooling: 'cls' }) });
    const [vector] = await bgeLike.embed(['the weather']);
    close(vector, expected(['[CLS]'], 6, 3, 'cls', true));
    const meanTypes = createOnnxEmbedder({ modelDir: writeTinyModelDir(join(root, 'tiny-types'), { dimension: 6, seed: 3, tokenTypes: true }) });
    const [mean] = await meanTypes.embed(['the weather']);
    close(mean, expected(['[CLS]', 'the', 'weather', '[SEP]'], 6, 3, 'mean', true));
    await Promise.all([bgeLike.close?.(), meanTypes.close?.()]);
  });

  it('names a changed model file as a new embedding space, even in the same directory', () => {
    const dir = writeTinyModelDir(join(root, 'same-name'), { dimension: 8, seed: 1 });
    const before = createOnnxEmbedder({ modelDir: dir }).model;
    writeTinyModelDir(dir, { dimension: 8, seed: 2 });
    const after = createOnnxEmbedder({ modelDir: dir }).model;
    expect(after).not.toBe(before);
    expect(createOnnxEmbedder({ modelDir: dir, name: 'bge-small-zh-v1.5' }).model).toMatch(/^bge-small-zh-v1\.5#[0-9a-f]{12}$/);
  });

  it('refuses a missing or incomplete model directory at construction, with the path and what is missing', () => {
    expect(() => createOnnxEmbedder({ modelDir: join(root, 'nowhere') })).toThrow(ConfigError);
    expect(() => createOnnxEmbedder({ modelDir: join(root, 'nowhere') })).toThrow(/is not a directory/);
    const noTokenizer = writeTinyModelDir(join(root, 'no-tokenizer'), { dimension: 4, seed: 1 });
    rmSync(join(noTokenizer, 'tokenizer.json'));
    expect(() => createOnnxEmbedder({ modelDir: noTokenizer })).toThrow(/tokenizer\.json is missing/);
    const badJson = writeTinyModelDir(join(root, 'bad-json'), { dimension: 4, seed: 1 });
    writeFileSync(join(badJson, 'tokenizer.json'), '{"model": ');
    expect(() => createOnnxEmbedder({ modelDir: badJson })).toThrow(/not readable JSON/);
    const noModel = writeTinyModelDir(join(root, 'no-model'), { dimension: 4, seed: 1 });
    rmSync(join(noModel, 'model.onnx'));
    expect(() => createOnnxEmbedder({ modelDir: noModel })).toThrow(/model\.onnx is missing/);
  });

  it('fails embedding with a clear error on a corrupt model file or a model it cannot feed, and loads once fixed', async () => {
    const corrupt = writeTinyModelDir(join(root, 'corrupt'), { dimension: 4, seed: 1 });
    writeFileSync(join(corrupt, 'model.onnx'), Buffer.from('this is not a protobuf model at all, just text'));
    const broken = createOnnxEmbedder({ modelDir: corrupt });
    const error = await broken.embed(['the report']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as Error).message).toMatch(/cannot load the ONNX model .*corrupt\/model\.onnx/);
    writeTinyModelDir(corrupt, { dimension: 4, seed: 1 });
    expect(await broken.embed(['the report'])).toHaveLength(1);
    await broken.close?.();

    const odd = createOnnxEmbedder({ modelDir: writeTinyModelDir(join(root, 'odd-inputs'), { dimension: 4, seed: 1, inputName: 'ids' }) });
    await expect(odd.embed(['the report'])).rejects.toThrow(/takes inputs \[ids, attention_mask\]; a text encoder taking input_ids/);
  });
});

describe('ONNX embedder in the service (AI_STACK_EMBEDDINGS_MODEL_DIR)', () => {
  let svc: TestService;
  const dirA = writeTinyModelDir(join(root, 'svc-a'), { dimension: 8, seed: 11 });
  const dirB = writeTinyModelDir(join(root, 'svc-b'), { dimension: 16, seed: 12 });
  beforeAll(async () => {
    svc = await startTestService('sqlite', { AI_STACK_EMBEDDINGS_MODEL_DIR: dirA });
    await svc.runtime.startBackground();
  }, 240_000);
  afterAll(() => svc?.cleanup());

  it('vectorizes uploads with the local model, answers similar-chunk queries in its space, and re-vectorizes on a model switch', async () => {
    const { documents } = svc.runtime.tasks;
    expect(documents.embedder.model).toMatch(/^svc-a#/);
    const res = await upload(svc, Buffer.from('The report: shipping costs rose.\n\n运输成本\n'), 'report.txt');
    const doc = await settled(svc, res.body.document.id);
    expect(doc.status).toBe('ready');
    expect(doc.embedding_model).toBe(`${documents.embedder.model}@8`);
    const chunks = (await allChunks(svc, doc.id)).length;
    const similar = await (await svc.call('/api/v1/documents/similar?text=shipping%20costs&k=3')).json();
    expect(similar.data[0].document_id).toBe(doc.id);

    const other = createOnnxEmbedder({ modelDir: dirB });
    const switched = new DocumentPipeline({ ...documents.pipeline.deps, embedder: other });
    expect(await switched.vectorize([doc.id])).toBe(chunks);
    expect(await switched.vectorize([doc.id])).toBe(0);
    const rows = await svc.runtime.db.kysely.selectFrom('document_vectors').select(['model', 'dimension']).where('document_id', '=', doc.id).execute();
    expect(rows).toHaveLength(chunks);
    expect(new Set(rows.map((r) => `${r.model}/${r.dimension}`))).toEqual(new Set([`${other.model}@16/16`]));
    await other.close?.();
  });
});
