import { useEffect, useRef, useState } from 'preact/hooks';

/** One EventSource to /admin/events for the whole console, opened while some page listens. */
type Listener = (data: unknown) => void;
/** Events that carry the current value of something (sent when it changes), as opposed to `job` changes. */
const STATE_EVENTS = ['readiness', 'slowQueries', 'alerts'] as const;
export type StateEvent = 'queues' | 'workers' | (typeof STATE_EVENTS)[number];
const listeners = new Map<string, Set<Listener>>();
const latest = new Map<string, unknown>();
let source: EventSource | null = null;
let users = 0;

function open(): void {
  source = new EventSource('/admin/events');
  for (const event of ['queues', 'workers', 'job', ...STATE_EVENTS]) {
    source.addEventListener(event, (e) => {
      let data: unknown;
      try {
        data = JSON.parse((e as MessageEvent<string>).data);
      } catch {
        return;
      }
      latest.set(event, data);
      for (const listener of listeners.get(event) ?? []) listener(data);
    });
  }
}

export function subscribe(event: string, listener: Listener): () => void {
  if (users++ === 0) open();
  const set = listeners.get(event) ?? new Set<Listener>();
  set.add(listener);
  listeners.set(event, set);
  if (latest.has(event) && event !== 'job') listener(latest.get(event));
  return () => {
    set.delete(listener);
    if (--users === 0) {
      source?.close();
      source = null;
      latest.clear();
    }
  };
}

/** The newest value of a "state" event (queues, workers, readiness, slow queries, alerts), kept current by the server. */
export function useLive<T>(event: StateEvent): T | undefined {
  const [value, setValue] = useState<T | undefined>(latest.get(event) as T | undefined);
  useEffect(() => subscribe(event, (data) => setValue(data as T)), [event]);
  return value;
}

export interface LiveJob {
  id: string;
  name?: string;
  queue: string;
  state: string;
  progress?: { fraction: number; done?: number; total?: number; message?: string; at: number; remainingMs?: number };
  startedAt?: number;
}

/**
 * Calls `onJob` for every job change the server pushes (progress, and the state a job ends in). The newest `onJob`
 * is called, not the one of the first render: a page's handler reads its current filter and list.
 */
export function useJobEvents(onJob: (job: LiveJob) => void): void {
  const handler = useRef(onJob);
  handler.current = onJob;
  useEffect(() => subscribe('job', (data) => handler.current(data as LiveJob)), []);
}
