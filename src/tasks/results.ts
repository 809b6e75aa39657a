import type { TaskStore } from './backend.ts';

/** Celery's state names, so people coming from Celery/Flower read them without a glossary. */
export type TaskState = 'PENDING' | 'STARTED' | 'RETRY' | 'SUCCESS' | 'FAILURE' | 'REVOKED';

export interface RemoteError {
  name: string;
  message: string;
  stack?: string | undefined;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  finishedAt: number;
  error: RemoteError;
}

/** What the durable result store keeps per finished task (readable from any process until its TTL). */
export interface TaskResultRecord {
  id: string;
  task: string;
  state: 'SUCCESS' | 'FAILURE' | 'REVOKED';
  result?: unknown;
  error?: RemoteError;
  attempts: AttemptRecord[];
  startedAt?: number;
  finishedAt: number;
  worker?: string;
}

export const CANCELLED_ANY = 'revoked:any';

/** The job payload every task layer job carries. Kept small: it is what BullMQ stores per job. */
export interface TaskEnvelope {
  task: string;
  /** Validated arguments; absent when they come from a chain/chord predecessor (`from`). */
  args?: unknown;
  /** Epoch ms after which the job is dropped unstarted (Celery's `expires`). */
  expiresAt?: number;
  /** Chain link: args are the result of `from[0]`; chord callback: args are the results of all `from`. */
  from?: { ids: string[]; mode: 'one' | 'all' };
  /** W3C trace context (`traceparent`, `tracestate`) of the code that enqueued it, when tracing is on. */
  trace?: Record<string, string>;
}

export type RevocationMode = 'revoke' | 'terminate';

const resultKey = (id: string): string => `result:${id}`;
const attemptsKey = (id: string): string => `attempts:${id}`;
const revokedKey = (id: string): string => `revoked:${id}`;

export const DEFAULT_RESULT_TTL_MS = 24 * 3600_000;

/** Results, attempt history and revocations, all over the backend's TaskStore. */
export class ResultStore {
  readonly #store: TaskStore;
  constructor(store: TaskStore) {
    this.#store = store;
  }

  async get(id: string): Promise<TaskResultRecord | null> {
    return parse<TaskResultRecord>(await this.#store.get(resultKey(id)));
  }

  async getMany(ids: readonly string[]): Promise<Array<TaskResultRecord | null>> {
    return (await this.#store.getMany(ids.map(resultKey))).map((v) => parse<TaskResultRecord>(v));
  }

  async put(record: TaskResultRecord, ttlMs: number): Promise<void> {
    await this.#store.set(resultKey(record.id), JSON.stringify(record), ttlMs);
    if (record.attempts.length > 0) await this.#store.delete(attemptsKey(record.id));
  }

  async forget(id: string): Promise<void> {
    await this.#store.delete(resultKey(id));
  }

  async attempts(id: string): Promise<AttemptRecord[]> {
    return parse<AttemptRecord[]>(await this.#store.get(attemptsKey(id))) ?? [];
  }

  /** A job runs in one place at a time, so read-modify-write is safe here. */
  async addAttempt(id: string, attempt: AttemptRecord, ttlMs: number): Promise<AttemptRecord[]> {
    const all = [...(await this.attempts(id)), attempt];
    await this.#store.set(attemptsKey(id), JSON.stringify(all), ttlMs);
    return all;
  }

  async revoke(id: string, mode: RevocationMode, ttlMs: number): Promise<void> {
    await this.#store.set(revokedKey(id), mode, ttlMs);
    // Tells workers to start checking each job they take (they skip that round trip otherwise).
    await this.#store.set(CANCELLED_ANY, String(Date.now()), ttlMs);
  }

  async anyRevocations(): Promise<boolean> {
    return (await this.#store.get(CANCELLED_ANY)) !== null;
  }

  async revocation(id: string): Promise<RevocationMode | null> {
    const v = await this.#store.get(revokedKey(id));
    return v === 'revoke' || v === 'terminate' ? v : null;
  }

  async revocations(ids: readonly string[]): Promise<Array<RevocationMode | null>> {
    if (ids.length === 0) return [];
    return (await this.#store.getMany(ids.map(revokedKey))).map((v) => (v === 'revoke' || v === 'terminate' ? v : null));
  }
}

function parse<T>(raw: string | null): T | null {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

export function toRemoteError(err: unknown): RemoteError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}
