import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addOnRequestHook, addOnSendHook, routeConfig } from '../route-hooks.ts';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { sharedCounter } from '../metrics.ts';
import { NotAcceptableError } from '../errors.ts';
import { appendVary } from '../vary.ts';
import { buildCodecs, FAST_LEVELS, type CodecLevels } from './codecs.ts';
import { DEFAULT_PREFERENCE, negotiateEncoding, type Coding, type Negotiated } from './negotiate.ts';

export interface CompressionOptions extends Partial<CodecLevels> {
  /** Bodies smaller than this go out uncompressed (unless the client forbids identity). Default 1024 bytes. */
  threshold?: number;
  /** Bodies up to this size compress synchronously (cheaper than a threadpool hop); larger ones off-thread. Default 16 KiB. */
  syncLimit?: number;
  /** Server preference among codings the client weights equally. Default zstd, br, gzip. */
  preference?: readonly Coding[];
  /** Media types worth compressing; already-compressed types (images, zip, video…) never match. */
  compressible?: RegExp;
  /**
   * Below this size brotli yields to gzip/zstd when the client weights them equally: on a 3 KB JSON body
   * brotli-4 costs ~75 µs against ~22 µs for gzip-6 or zstd-3, for ~14 % fewer bytes. Default 16 KiB.
   */
  brotliMinBytes?: number;
  /** Adds `ai_stack_http_compression_bytes_total{coding, stage="in"|"out"}` (buffered bodies only). */
  registry?: Registry;
}

const DEFAULT_COMPRESSIBLE = /^(?:text\/|application\/(?:json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|javascript|x-ndjson|csv|graphql)|image\/svg\+xml)/i;
const NEGOTIATED = Symbol('ai-stack.negotiatedCoding');
const IDENTITY: Negotiated = { coding: 'identity', identityAllowed: true, fastAlternative: null };
type WithCoding = FastifyRequest & { [NEGOTIATED]?: Negotiated | null };
type Done = (error?: Error | null, payload?: unknown) => void;

async function compression(app: FastifyInstance, options: CompressionOptions): Promise<void> {
  const threshold = options.threshold ?? 1024;
  const syncLimit = options.syncLimit ?? 16 * 1024;
  const preference = options.preference ?? DEFAULT_PREFERENCE;
  const compressible = options.compressible ?? DEFAULT_COMPRESSIBLE;
  const brotliMinBytes = options.brotliMinBytes ?? 16 * 1024;
  const codecs = buildCodecs({ ...FAST_LEVELS, ...stripUndefined(options) });
  const bytes =
    options.registry === undefined
      ? undefined
      : sharedCounter(options.registry, 'ai_stack_http_compression_bytes_total', 'Response bytes before and after compression', ['coding', 'stage']);
  // Clients send a handful of distinct headers; remembering the answer skips re-parsing per request.
  const memo = new Map<string, Negotiated>();

  // Declared up front so setting it per request does not change the request object's shape.
  if (!app.hasRequestDecorator(NEGOTIATED)) app.decorateRequest(NEGOTIATED, null);

  // Callback-style hooks: both run on every request, and a sync hook skips a promise and a microtask.
  const negotiate = (request: WithCoding, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const header = request.headers['accept-encoding'];
    let negotiated = header === undefined ? IDENTITY : memo.get(header);
    if (negotiated === undefined) {
      negotiated = negotiateEncoding(header, preference);
      if (memo.size < 256) memo.set(header as string, negotiated);
    }
    if (negotiated.coding === null) {
      done(new NotAcceptableError(`Accept-Encoding "${header ?? ''}" rules out every coding this server produces (${preference.join(', ')}, identity)`));
      return;
    }
    request[NEGOTIATED] = negotiated;
    done();
  };

  /** Returns the payload to send, or a promise of it when compression runs off-thread. */
  const encodePayload = (request: WithCoding, reply: FastifyReply, payload: unknown): unknown => {
    const negotiated = request[NEGOTIATED];
    if (negotiated === undefined || negotiated === null || payload === null || payload === undefined) return payload;
    const type = reply.getHeader('content-type');
    if (typeof type !== 'string' || !compressible.test(type)) return payload;
    appendVary(reply, 'Accept-Encoding');
    let coding = negotiated.coding;
    if (coding === 'identity' || coding === null) return payload;
    if (reply.hasHeader('content-encoding') || reply.statusCode === 204 || reply.statusCode === 304 || reply.statusCode === 206) return payload;
    const cacheControl = reply.getHeader('cache-control');
    if (typeof cacheControl === 'string' && /\bno-transform\b/i.test(cacheControl)) return payload;

    if (payload instanceof Readable) {
      reply.removeHeader('content-length');
      markEncoded(reply, coding);
      return payload.pipe(codecs[coding].stream());
    }
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const input = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (input.length < threshold && negotiated.identityAllowed) return payload;
    if (coding === 'br' && input.length < brotliMinBytes && negotiated.fastAlternative !== null) coding = negotiated.fastAlternative;
    const codec = codecs[coding];
    const finish = (output: Buffer): Buffer => {
      bytes?.inc({ coding, stage: 'in' }, input.length);
      bytes?.inc({ coding, stage: 'out' }, output.length);
      markEncoded(reply, coding);
      reply.header('content-length', output.length);
      return output;
    };
    return input.length <= syncLimit ? finish(codec.sync(input)) : codec.async(input).then(finish);
  };

  const encode = (request: WithCoding, reply: FastifyReply, payload: unknown, done: Done): void => {
    let result: unknown;
    try {
      result = encodePayload(request, reply, payload);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (result instanceof Promise)
      result.then(
        (output: unknown) => done(null, output),
        (error: unknown) => done(error as Error),
      );
    else done(null, result);
  };

  app.addHook('onRoute', (route) => {
    if (routeConfig(route).compress === false) return;
    addOnRequestHook(route, negotiate);
    addOnSendHook(route, encode);
  });
}

/** A strong ETag names exact bytes, so the encoded representation gets its own (`"tag-br"`, as Apache does). */
function markEncoded(reply: FastifyReply, coding: Coding): void {
  reply.header('content-encoding', coding);
  const etag = reply.getHeader('etag');
  if (typeof etag === 'string' && etag.startsWith('"') && etag.endsWith('"')) {
    reply.header('etag', `${etag.slice(0, -1)}-${coding}"`);
  }
}

function stripUndefined(options: CompressionOptions): Partial<CodecLevels> {
  const levels: Partial<CodecLevels> = {};
  if (options.brotliQuality !== undefined) levels.brotliQuality = options.brotliQuality;
  if (options.gzipLevel !== undefined) levels.gzipLevel = options.gzipLevel;
  if (options.zstdLevel !== undefined) levels.zstdLevel = options.zstdLevel;
  return levels;
}

/** Negotiated compression for every route of the context it is registered in (route opt-out: `config.compress: false`). */
export const compressionPlugin = fp(compression, { fastify: '5.x', name: 'ai-stack-compression' });

/** The coding chosen for this request ('identity' when the compression plugin is not active on the route). */
export function negotiatedCoding(request: FastifyRequest): Coding | 'identity' {
  return (request as WithCoding)[NEGOTIATED]?.coding ?? 'identity';
}
