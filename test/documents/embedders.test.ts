import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashingEmbedder, createOpenAiEmbedder, EmbeddingError } from '../../src/documents/index.ts';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * (b[i] as number), 0);

describe('hashing embedder', () => {
  it('is deterministic, unit length, and puts related Chinese and English texts closer than unrelated ones', async () => {
    const embedder = createHashingEmbedder();
    const [a, b, c, d, e] = await embedder.embed([
      '仓库降低了运输成本',
      '运输成本降低了',
      '今天天气很好',
      'shipping costs were lowered by the warehouse',
      'the weather is nice today',
    ]);
    const [again] = await embedder.embed(['仓库降低了运输成本']);
    expect(Array.from(a as Float32Array)).toEqual(Array.from(again as Float32Array));
    expect(Math.abs(cosine(a as Float32Array, a as Float32Array) - 1)).toBeLessThan(1e-5);
    expect(cosine(a as Float32Array, b as Float32Array)).toBeGreaterThan(cosine(a as Float32Array, c as Float32Array));
    expect(cosine(d as Float32Array, createVector(await embedder.embed(['warehouse shipping costs'])))).toBeGreaterThan(
      cosine(e as Float32Array, createVector(await embedder.embed(['warehouse shipping costs']))),
    );
    expect((a as Float32Array).length).toBe(384);
  });
});

function createVector(vectors: Float32Array[]): Float32Array {
  return vectors[0] as Float32Array;
}

/**
 * A loopback server speaking OpenAI's `POST /v1/embeddings` exactly (request and response shapes, error
 * bodies, 429 with Retry-After), standing in for OpenAI/Ollama/vLLM/TEI, which cannot run here.
 */
class FakeEmbeddingsServer {
  server!: Server;
  requests: { input: string[]; model: string; dimensions?: number; authorization?: string }[] = [];
  /** Answers queued for the next requests (status + body); afterwards, real embeddings. */
  script: { status: number; body: unknown; headers?: Record<string, string> }[] = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') return send(404, { error: { message: 'Not found', type: 'invalid_request_error' } });
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = JSON.parse(raw) as { input: string[]; model: string; dimensions?: number; encoding_format?: string };
    this.requests.push({ ...body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const next = this.script.shift();
    if (next) return send(next.status, next.body, next.headers);
    if (!Array.isArray(body.input) || typeof body.model !== 'string')
      return send(400, { error: { message: "'input' is required", type: 'invalid_request_error', param: 'input', code: null } });
    const dims = body.dimensions ?? 8;
    send(200, {
      object: 'list',
      model: body.model,
      data: body.input.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: Array.from({ length: dims }, (_, i) => ((text.length + i * 7) % 11) - 5 + 0.5),
      })),
      usage: { prompt_tokens: body.input.length, total_tokens: body.input.length },
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('OpenAI-compatible embedder against a loopback /v1/embeddings server', () => {
  const fake = new FakeEmbeddingsServer();
  let url: string;
  beforeAll(async () => {
    url = await fake.start();
  });
  afterAll(() => fake.close());

  it('sends the model, inputs, dimensions and key, and returns unit vectors in input order', async () => {
    fake.requests = [];
    fake.script = [
      {
        status: 200,
        body: {
          object: 'list',
          model: 'm',
          data: [
            { object: 'embedding', index: 1, embedding: [0, 3, 4] },
            { object: 'embedding', index: 0, embedding: [1, 0, 0] },
          ],
        },
      },
    ];
    const embedder = createOpenAiEmbedder({ url, model: 'text-embedding-3-small', apiKey: 'sk-test', dimensions: 3 });
    const [first, second] = await embedder.embed(['a', 'b']);
    expect(Array.from(first as Float32Array)).toEqual([1, 0, 0]);
    expect(Array.from(second as Float32Array).map((v) => Math.round(v * 10) / 10)).toEqual([0, 0.6, 0.8]);
    expect(fake.requests[0]).toEqual({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      encoding_format: 'float',
      dimensions: 3,
      authorization: 'Bearer sk-test',
    });
    expect(embedder.dimension).toBe(3);
  });

  it('learns the dimension from the first answer when none is configured', async () => {
    const embedder = createOpenAiEmbedder({ url, model: 'nomic-embed-text' });
    expect(embedder.dimension).toBe(0);
    const vectors = await embedder.embed(['hello', '你好']);
    expect(vectors).toHaveLength(2);
    expect(embedder.dimension).toBe(8);
  });

  it('retries 429 (honouring Retry-After) and 5xx answers, then succeeds', async () => {
    fake.requests = [];
    fake.script = [
      {
        status: 429,
        body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        headers: { 'retry-after': '0' },
      },
      { status: 503, body: { error: { message: 'The server is overloaded', type: 'server_error' } } },
    ];
    const embedder = createOpenAiEmbedder({ url, model: 'm', backoffMs: 1 });
    expect(await embedder.embed(['x'])).toHaveLength(1);
    expect(fake.requests).toHaveLength(3);
  });

  it("gives up after maxRetries with the server's own message", async () => {
    fake.script = Array.from({ length: 3 }, () => ({
      status: 429,
      body: { error: { message: 'Rate limit reached', type: 'requests' } },
      headers: { 'retry-after': '0' },
    }));
    const embedder = createOpenAiEmbedder({ url, model: 'm', maxRetries: 2, backoffMs: 1 });
    await expect(embedder.embed(['x'])).rejects.toThrow(/429: Rate limit reached/);
    expect(fake.script).toHaveLength(0);
  });

  it('does not retry a 400 and reports it', async () => {
    fake.requests = [];
    fake.script = [{ status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens", type: 'invalid_request_error' } } }];
    const embedder = createOpenAiEmbedder({ url, model: 'm', backoffMs: 1 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as EmbeddingError).message).toMatch(/400: This model's maximum context length/);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses answers of the wrong shape', async () => {
    fake.script = [{ status: 200, body: { data: [{ index: 0, embedding: ['not', 'numbers'] }] } }];
    await expect(createOpenAiEmbedder({ url, model: 'm' }).embed(['x'])).rejects.toThrow(/not a list of numbers/);
    fake.script = [{ status: 200, body: { data: [] } }];
    await expect(createOpenAiEmbedder({ url, model: 'm' }).embed(['x'])).rejects.toThrow(/returned 0 vectors for 1 inputs/);
  });

  it('says so when the server cannot be reached', async () => {
    await expect(createOpenAiEmbedder({ url: 'http://127.0.0.1:1/v1', model: 'm', maxRetries: 0 }).embed(['x'])).rejects.toThrow(/cannot be reached/);
  });
});
