// A tiny BERT-shaped text encoder written as an ONNX file by hand (protobuf wire format, field numbers from
// onnx.proto), with a WordPiece tokenizer.json: what a real model directory holds, small enough to build in
// a test, so the ONNX embedder runs offline through the real onnxruntime and the real tokenizer.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Field = [field: number, value: number | bigint | string | Uint8Array | Field[]];

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** Encodes a message: numbers as varints (wire type 0), strings, bytes and nested messages length-delimited (2). */
function message(fields: readonly Field[]): Uint8Array {
  const parts: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number' || typeof value === 'bigint') {
      parts.push(...varint((field << 3) | 0), ...varint(value));
      continue;
    }
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : message(value);
    parts.push(...varint((field << 3) | 2), ...varint(bytes.length), ...bytes);
  }
  return Uint8Array.from(parts);
}

const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;

/** TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian). */
function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Field[] {
  return [
    ...dims.map((d): Field => [1, d]),
    [2, data instanceof Float32Array ? FLOAT : INT64],
    [8, name],
    [9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)],
  ];
}

/** ValueInfoProto with a tensor type; a string dimension is symbolic (batch, tokens). */
function valueInfo(name: string, elemType: number, dims: (number | string)[]): Field[] {
  const shape = dims.map((d): Field => [1, typeof d === 'number' ? [[1, d]] : [[2, d]]]);
  return [
    [1, name],
    [
      2,
      [
        [
          1,
          [
            [1, elemType],
            [2, shape],
          ],
        ],
      ],
    ],
  ];
}

/** NodeProto: input (1), output (2), name (3), op_type (4), attribute (5: name 1, i 3, type 20). */
function node(op: string, inputs: string[], outputs: string[], ints: Record<string, number> = {}): Field[] {
  return [
    ...inputs.map((i): Field => [1, i]),
    ...outputs.map((o): Field => [2, o]),
    [3, `${op}_${outputs[0]}`],
    [4, op],
    ...Object.entries(ints).map(([name, i]): Field => [
      5,
      [
        [1, name],
        [3, i],
        [20, ATTRIBUTE_INT],
      ],
    ]),
  ];
}

export interface TinyModelOptions {
  vocab: readonly string[];
  dimension: number;
  /** Seeds the embedding table: two seeds give two different models of the same vocabulary. */
  seed: number;
  /** Also take token_type_ids (as BERT exports do) and add a token-type embedding. */
  tokenTypes?: boolean;
  /** Name the graph inputs differently (a model this embedder cannot feed). */
  inputName?: string;
}

/** A deterministic pseudo-random table, so the same options always make the same file. */
export function table(rows: number, cols: number, seed: number): Float32Array {
  const out = new Float32Array(rows * cols);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = ((state >>> 0) / 0xffffffff) * 2 - 1;
  }
  return out;
}

/**
 * last_hidden_state = Gather(embeddings, input_ids) [+ Gather(type_embeddings, token_type_ids)] + attention_mask × bias:
 * per-token vectors of shape [batch, tokens, dimension], like a transformer's output.
 */
export function tinyModel(options: TinyModelOptions): Uint8Array {
  const { vocab, dimension, seed } = options;
  const ids = options.inputName ?? 'input_ids';
  const nodes: Field[][] = [node('Gather', ['embeddings', ids], ['token_vectors'], { axis: 0 })];
  const initializers: Field[][] = [
    tensor('embeddings', [vocab.length, dimension], table(vocab.length, dimension, seed)),
    tensor('axes', [1], BigInt64Array.of(2n)),
  ];
  const inputs: Field[][] = [valueInfo(ids, INT64, ['batch', 'tokens']), valueInfo('attention_mask', INT64, ['batch', 'tokens'])];
  let summed = 'token_vectors';
  if (options.tokenTypes) {
    inputs.push(valueInfo('token_type_ids', INT64, ['batch', 'tokens']));
    initializers.push(tensor('type_embeddings', [2, dimension], table(2, dimension, seed + 7)));
    nodes.push(
      node('Gather', ['type_embeddings', 'token_type_ids'], ['type_vectors'], { axis: 0 }),
      node('Add', ['token_vectors', 'type_vectors'], ['summed']),
    );
    summed = 'summed';
  }
  // Real tokens get a bias the padding does not: padded positions carry the [PAD] vector, not zeros, as in a
  // transformer's output, so pooling that averaged over padding would give a different vector.
  initializers.push(tensor('mask_bias', [dimension], table(1, dimension, seed + 13)));
  nodes.push(
    node('Cast', ['attention_mask'], ['mask_float'], { to: FLOAT }),
    node('Unsqueeze', ['mask_float', 'axes'], ['mask_3d']),
    node('Mul', ['mask_3d', 'mask_bias'], ['bias_3d']),
    node('Add', [summed, 'bias_3d'], ['last_hidden_state']),
  );
  const graph: Field[] = [
    ...nodes.map((n): Field => [1, n]),
    [2, 'tiny-encoder'],
    ...initializers.map((t): Field => [5, t]),
    ...inputs.map((i): Field => [11, i]),
    [12, valueInfo('last_hidden_state', FLOAT, ['batch', 'tokens', dimension])],
  ];
  // ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8: domain 1, version 2).
  return message([
    [1, 8],
    [2, 'ai-stack-test'],
    [7, graph],
    [8, [[2, 13]]],
  ]);
}

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];

/** A BERT WordPiece tokenizer.json (lower-casing, Chinese characters split one by one, [CLS] … [SEP]). */
export function tinyTokenizer(words: readonly string[]): { json: object; vocab: string[] } {
  const vocab = [...SPECIALS, ...words];
  const special = (content: string) => ({
    id: vocab.indexOf(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  };
  return { json, vocab };
}

export const TINY_WORDS = ['the', 'report', 'shipping', 'cost', '##s', 'rose', 'weather', 'is', 'nice', 'today', '运', '输', '成', '本', '天', '气', '好'];

/** Writes a model directory (model.onnx, tokenizer.json, tokenizer_config.json[, 1_Pooling/config.json]); returns it. */
export function writeTinyModelDir(
  dir: string,
  options: Omit<TinyModelOptions, 'vocab'> & { words?: readonly string[]; maxLength?: number; pooling?: 'mean' | 'cls' },
): string {
  const { json, vocab } = tinyTokenizer(options.words ?? TINY_WORDS);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), tinyModel({ ...options, vocab }));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ do_lower_case: true, model_max_length: options.maxLength ?? 512, tokenizer_class: 'BertTokenizer' }),
  );
  if (options.pooling) {
    mkdirSync(join(dir, '1_Pooling'), { recursive: true });
    writeFileSync(
      join(dir, '1_Pooling', 'config.json'),
      JSON.stringify({
        word_embedding_dimension: options.dimension,
        pooling_mode_cls_token: options.pooling === 'cls',
        pooling_mode_mean_tokens: options.pooling === 'mean',
      }),
    );
  }
  return dir;
}
