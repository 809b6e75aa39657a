import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { AiStackError } from '../../shared/errors.ts';
import type { TaskJob } from '../queues.ts';
import { WorkerRegistry, type WorkerInfo } from '../registry.ts';
import type { TaskSystem } from '../system.ts';
import { summarize, type TaskSummary } from './jobs.ts';

export interface LiveEventsOptions {
  /** Pushed as the `readiness` event when it changes (checked every `readinessEvery` ticks). */
  readiness?: () => Promise<unknown>;
  /**
   * Further state events by name (e.g. slow-query totals, recent alerts), read with readiness and pushed
   * when they change. One that fails is sent as `{ error }`, so a listener always hears every event.
   */
  states?: Record<string, () => Promise<unknown>>;
  /** How often the queues are looked at; default 1 s. */
  intervalMs?: number;
  readinessEvery?: number;
  /** Open streams per process; more are refused with 429. Default 100. */
  maxClients?: number;
}

interface Client {
  write(event: string, data: unknown): void;
  end(): void;
}

const ACTIVE_WINDOW = 200;
const KEEPALIVE_MS = 15_000;

/**
 * One poller per process, running only while someone listens: every tick it reads queue counts and the
 * active jobs, and sends each listener what changed. Polling the queues (rather than subscribing to each
 * backend's event stream) works the same on Redis and the embedded backend, and sees jobs run by workers
 * in other processes.
 */
class LiveHub {
  readonly #system: TaskSystem;
  readonly #opts: Required<Omit<LiveEventsOptions, 'readiness'>> & Pick<LiveEventsOptions, 'readiness'>;
  /** Last sent JSON of each state event (readiness and the `states` options). */
  readonly #sent = new Map<string, string>();
  readonly #clients = new Set<Client>();
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #tick = 0;
  #queues = '';
  #workers = '';
  /** Last sent JSON of each job being watched: the active ones and those that just left the active state. */
  #jobs = new Map<string, { queue: string; json: string }>();
  #last: { queues?: unknown; workers?: WorkerInfo[]; states: Map<string, unknown>; jobs: TaskSummary[] } = { states: new Map(), jobs: [] };
  readonly #registry: WorkerRegistry;

  constructor(system: TaskSystem, opts: LiveEventsOptions) {
    this.#system = system;
    this.#registry = new WorkerRegistry(system.backend.store);
    this.#opts = {
      intervalMs: opts.intervalMs ?? 1_000,
      readinessEvery: opts.readinessEvery ?? 5,
      maxClients: opts.maxClients ?? 100,
      readiness: opts.readiness,
      states: opts.states ?? {},
    };
  }

  get full(): boolean {
    return this.#clients.size >= this.#opts.maxClients;
  }

  add(client: Client): () => void {
    this.#clients.add(client);
    // A new listener starts from the last known picture, then gets changes.
    if (this.#last.queues !== undefined) client.write('queues', this.#last.queues);
    if (this.#last.workers !== undefined) client.write('workers', withAge(this.#last.workers));
    for (const [event, value] of this.#last.states) client.write(event, value);
    for (const job of this.#last.jobs) client.write('job', job);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.#poll(), this.#opts.intervalMs);
      this.#timer.unref();
      void this.#poll(true);
    }
    return () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#queues = '';
    this.#sent.clear();
    this.#workers = '';
    this.#jobs.clear();
    this.#last = { states: new Map(), jobs: [] };
  }

  endAll(): void {
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    this.stop();
  }

  #broadcast(event: string, data: unknown): void {
    for (const client of this.#clients) client.write(event, data);
  }

  async #poll(first = false): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#pollQueues();
      await this.#pollWorkers();
      await this.#pollJobs();
      if (first || this.#tick % this.#opts.readinessEvery === 0) await this.#pollStates();
      this.#tick++;
    } catch (error) {
      // A backend outage shows as readiness; the stream itself stays up and tries again next tick.
      this.#broadcast('error', { message: error instanceof Error ? error.message : String(error) });
    } finally {
      this.#ticking = false;
    }
  }

  async #pollStates(): Promise<void> {
    const states = { ...(this.#opts.readiness ? { readiness: this.#opts.readiness } : {}), ...this.#opts.states };
    for (const [event, read] of Object.entries(states)) {
      const value = await read().catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
      const json = JSON.stringify(value);
      if (json === this.#sent.get(event)) continue;
      this.#sent.set(event, json);
      this.#last.states.set(event, value);
      this.#broadcast(event, value);
    }
  }

  async #pollQueues(): Promise<void> {
    const queues = await Promise.all(
      [...this.#system.queueNames].map(async (name) => {
        const q = this.#system.queue(name);
        return {
          name,
          paused: await q.isPaused(),
          counts: await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'),
        };
      }),
    );
    const json = JSON.stringify(queues);
    if (json === this.#queues) return;
    this.#queues = json;
    this.#last.queues = queues;
    this.#broadcast('queues', queues);
  }

  /** Sent when a worker comes, goes or beats (its `lastSeen` moves), with each one's heartbeat age as of sending. */
  async #pollWorkers(): Promise<void> {
    const workers = await this.#registry.list();
    const json = JSON.stringify(workers);
    if (json === this.#workers) return;
    this.#workers = json;
    this.#last.workers = workers;
    this.#broadcast('workers', withAge(workers));
  }

  async #pollJobs(): Promise<void> {
    const seen = new Set<string>();
    const current: TaskSummary[] = [];
    for (const name of this.#system.queueNames) {
      const jobs = (await this.#system.queue(name).getJobs(['active'], 0, ACTIVE_WINDOW - 1, false)) as TaskJob[];
      for (const job of jobs) {
        if (!job?.id) continue;
        seen.add(`${name}\u0000${job.id}`);
        current.push(summarize(job, 'active'));
      }
    }
    // Jobs that left the active state: one last event with where they went (completed, failed, waiting again…).
    for (const [key, watched] of this.#jobs) {
      if (seen.has(key)) continue;
      this.#jobs.delete(key);
      const id = key.slice(key.indexOf('\u0000') + 1);
      const job = await this.#system.queue(watched.queue).getJob(id);
      const summary: TaskSummary | { id: string; queue: string; state: 'removed' } = job
        ? summarize(job, await job.getState())
        : { id, queue: watched.queue, state: 'removed' };
      this.#broadcast('job', summary);
    }
    for (const summary of current) {
      const key = `${summary.queue}\u0000${summary.id}`;
      const json = JSON.stringify(summary);
      if (this.#jobs.get(key)?.json === json) continue;
      this.#jobs.set(key, { queue: summary.queue, json });
      this.#broadcast('job', summary);
    }
    this.#last.jobs = current;
  }
}

/** Each worker with `ageMs`, the time since its last heartbeat by the server's clock (a browser's clock may differ). */
export function withAge(workers: WorkerInfo[], now = Date.now()): Array<WorkerInfo & { ageMs: number }> {
  return workers.map((w) => ({ ...w, ageMs: Math.max(0, now - w.lastSeen) }));
}

/**
 * `GET /events`: server-sent events for the console (and anyone with an admin key or session).
 * Events: `queues` (counts per queue), `workers` (live workers and their heartbeats), `job` (an active job's
 * progress, and its final state when it leaves the active state), `readiness` (each backend's check) and the
 * `states` option's events. Each is sent when it changes.
 */
export function liveEventsRoutes(system: TaskSystem, opts: LiveEventsOptions = {}): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const hub = new LiveHub(system, opts);
    // Open streams would otherwise hold the server open on shutdown.
    app.addHook('preClose', async () => hub.endAll());
    app.get(
      '/events',
      {
        schema: {
          tags: ['Admin'],
          summary: 'Live updates as server-sent events: queues, workers, job progress and state, readiness, and the state events the server adds',
          response: {
            200: {
              description:
                'A stream of events `queues`, `workers`, `job`, `readiness`, `error` and, from the AI Stack server, `slowQueries` and `alerts` (each `data:` is JSON)',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (request, reply) => {
        const res = reply.raw;
        let closed = false;
        const client: Client = {
          write(event, data) {
            if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          },
          end() {
            if (closed) return;
            closed = true;
            res.end();
          },
        };
        if (hub.full) throw new AiStackError('Too many open event streams; try again later', { code: 'too_many_streams', status: 429 });
        reply.hijack();
        // Headers set by hooks (request id, security headers) still go out with the hijacked response.
        for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
        res.write('retry: 3000\n\n');
        const leave = hub.add(client);
        const keepalive = setInterval(() => !closed && res.write(': keepalive\n\n'), KEEPALIVE_MS);
        keepalive.unref();
        request.raw.on('close', () => {
          closed = true;
          clearInterval(keepalive);
          leave();
        });
      },
    );
  };
}
