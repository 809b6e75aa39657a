import type { TaskStore } from './backend.ts';

/** One live worker process as the monitor shows it (Flower's worker view). */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: Record<string, number>;
  startedAt: number;
  lastSeen: number;
  processed: number;
  failed: number;
  active: Array<{ id: string; task: string; queue: string; startedAt: number }>;
}

const PREFIX = 'worker:';

/** Heartbeats in the TaskStore: an entry lives three beats, so a dead worker drops out by itself. */
export class WorkerRegistry {
  readonly #store: TaskStore;
  constructor(store: TaskStore) {
    this.#store = store;
  }
  async beat(info: WorkerInfo, ttlMs: number): Promise<void> {
    await this.#store.set(PREFIX + info.id, JSON.stringify(info), ttlMs);
  }
  async remove(id: string): Promise<void> {
    await this.#store.delete(PREFIX + id);
  }
  async list(): Promise<WorkerInfo[]> {
    const entries = await this.#store.scan(PREFIX);
    const out: WorkerInfo[] = [];
    for (const { value } of entries) {
      try {
        out.push(JSON.parse(value) as WorkerInfo);
      } catch {
        // A malformed entry (foreign writer) is skipped, not fatal to the monitor.
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }
}
