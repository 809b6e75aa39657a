import type { Queue } from 'bullmq';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TaskSystem } from '../system.ts';

/** Headers that describe one hop's transfer, not the content: each side of the hand-over sets its own. */
const HOP_BY_HOP = new Set(['connection', 'content-length', 'keep-alive', 'transfer-encoding', 'date']);

/**
 * Bull Board, built on its first request. Its UI and API (the @bull-board packages, their template engine and
 * static-file server: about 5 MB of heap and more resident) are in a Fastify instance of their own that never
 * listens: the service's routes hand each request under the board's path to it with `inject` and send its answer
 * back. A service whose operators never open the board does not carry it, and the routes still exist from start,
 * behind the service's authentication, as Fastify requires of routes.
 */
export class LazyBoard {
  readonly #system: TaskSystem;
  readonly #basePath: string;
  #inner: Promise<FastifyInstance> | undefined;

  constructor(system: TaskSystem, basePath: string) {
    this.#system = system;
    this.#basePath = basePath;
  }

  async #build(): Promise<FastifyInstance> {
    const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/fastify'),
    ]);
    const board = new FastifyAdapter();
    board.setBasePath(this.#basePath);
    createBullBoard({ queues: [...this.#system.queueNames].map((q) => new BullMQAdapter(this.#system.queue(q) as unknown as Queue)), serverAdapter: board });
    const inner = Fastify({ logger: false });
    await inner.register(board.registerPlugin(), { prefix: this.#basePath });
    await inner.ready();
    return inner;
  }

  #instance(): Promise<FastifyInstance> {
    this.#inner ??= this.#build().catch((error: unknown) => {
      // A failed build (a package missing from a broken install) is tried again on the next request.
      this.#inner = undefined;
      throw error;
    });
    return this.#inner;
  }

  /** Answers one request under the board's path from the board's own routes. */
  async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const inner = await this.#instance();
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const body = request.body;
    const answer = await inner.inject({
      method: request.method as 'GET',
      url: request.raw.url ?? request.url,
      headers,
      ...(body === undefined || body === null ? {} : { payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    });
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) void reply.header(name, value);
    // An error body goes on as text, so the service's net for foreign error bodies makes it problem+json.
    return reply.code(answer.statusCode).send(answer.statusCode >= 400 ? answer.payload : answer.rawPayload);
  }

  async close(): Promise<void> {
    const inner = this.#inner;
    this.#inner = undefined;
    if (inner) await (await inner.catch(() => undefined))?.close();
  }
}
