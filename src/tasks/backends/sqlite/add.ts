import { serverNow } from './clock.ts';
import type { JobJson } from 'bullmq';
import type { QueueCtx } from './context.ts';
import { emitEvent, emitEventPair, wakeWorkers } from './events.ts';
import { Code, CodeError, type ParentRef } from './rows.ts';

/** Hands out ids and sequence numbers; addBulk reserves them in one block instead of one per job. */
export interface Allocator {
  id(): string;
  seq(): number;
}

export function singleAllocator(ctx: QueueCtx): Allocator {
  return { id: () => String(ctx.store.reserve(ctx.queue, 'id')), seq: () => ctx.store.reserve(ctx.queue, 'seq') };
}

export function blockAllocator(ctx: QueueCtx, ids: number, seqs: number): Allocator {
  let nextId = ids > 0 ? ctx.store.reserve(ctx.queue, 'id', ids) : 0;
  let nextSeq = seqs > 0 ? ctx.store.reserve(ctx.queue, 'seq', seqs) : 0;
  const fallback = singleAllocator(ctx);
  let idsLeft = ids;
  let seqsLeft = seqs;
  return {
    id: () => (idsLeft-- > 0 ? String(nextId++) : fallback.id()),
    seq: () => (seqsLeft-- > 0 ? nextSeq++ : fallback.seq()),
  };
}

export interface AddEntry {
  job: JobJson;
  jobId: string;
  parentKey?: string;
  /** Set by flows on a parent: it waits for the children that follow it in the same transaction. */
  addToWaitingChildren?: boolean;
}

interface DedupOpts {
  id?: string;
  ttl?: number;
  extend?: boolean;
  replace?: boolean;
}

/** Adds one job inside the caller's transaction and returns its id (or the id it was deduplicated to). */
export function addJobTx(ctx: QueueCtx, entry: AddEntry, now: number, alloc: Allocator = singleAllocator(ctx)): string {
  const { store, queue } = ctx;
  const job = entry.job;
  const opts = (job.opts ?? {}) as Record<string, unknown>;
  const generated = !(entry.jobId || job.id);
  const id = entry.jobId || job.id || alloc.id();
  if (id.includes(':') && !id.startsWith('repeat:')) {
    // Flow keys are "<prefix>:<queue>:<id>"; a colon in a custom id would make them ambiguous.
    if (job.parent || entry.addToWaitingChildren) throw new Error(`Job id "${id}" cannot contain ":" in a flow`);
  }

  const dedup = (opts['deduplication'] ?? opts['debounce']) as DedupOpts | undefined;
  const dedupId = job.deduplicationId ?? dedup?.id;
  const parent = job.parent as ParentRef | undefined;
  // A counter-generated id cannot collide (BullMQ forbids integer custom ids); only a custom one can.
  if (!generated && store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', queue, id)) {
    if (entry.addToWaitingChildren) throw new CodeError(-7);
    emitEvent(ctx, 'duplicated', { jobId: id });
    return id;
  }

  if (dedupId) {
    // Deduplication TTLs run on the server clock, as Redis key expiry does.
    const kept = deduplicate(ctx, dedupId, dedup ?? {}, id, serverNow());
    if (kept !== undefined) return kept;
  }

  const parentKey = entry.parentKey || job.parentKey || (parent ? `${parent.queueKey}:${parent.id}` : null);
  if (parent) {
    const parentRow = store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
    if (!parentRow) throw new CodeError(Code.ParentJobNotExist);
    store.run(
      `INSERT OR REPLACE INTO deps (parent_queue, parent_id, child_key, child_queue, child_id, status, value)
       VALUES (?, ?, ?, ?, ?, 'pending', NULL)`,
      parent.queueKey, parent.id, `${queue}:${id}`, queue, id,
    );
    store.run('UPDATE jobs SET pending_deps = pending_deps + 1 WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
  }

  const delay = Math.max(0, Number(job.delay ?? opts['delay'] ?? 0) || 0);
  const priority = Math.max(0, Math.floor(Number(job.priority ?? opts['priority'] ?? 0) || 0));
  const timestamp = Number(job.timestamp) || now;
  let state = 'wait';
  let processAt: number | null = null;
  if (entry.addToWaitingChildren) state = 'waiting-children';
  else if (delay > 0) {
    state = 'delayed';
    processAt = timestamp + delay;
  }
  const seqNo = alloc.seq();
  const seq = opts['lifo'] === true ? -seqNo : seqNo;
  store.run(
    `INSERT INTO jobs (queue, id, seq, name, state, data, opts, priority, delay, timestamp, process_at,
       dedup_id, repeat_job_key, parent, parent_key, attempts_made, attempts_started, stalled_counter)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    queue, id, seq, job.name, state, job.data ?? '{}', JSON.stringify(opts), priority, delay, timestamp, processAt,
    dedupId ?? null, job.repeatJobKey ?? null, parent ? JSON.stringify(parent) : null, parentKey,
    job.attemptsMade ?? 0, job.attemptsStarted ?? 0, job.stalledCounter ?? 0,
  );

  const added = { jobId: id, name: job.name };
  if (state === 'wait') emitEventPair(ctx, 'added', added, 'waiting', { jobId: id });
  else if (state === 'delayed') emitEventPair(ctx, 'added', added, 'delayed', { jobId: id, delay: processAt ?? 0 });
  else emitEventPair(ctx, 'added', added, 'waiting-children', { jobId: id });
  if (state !== 'waiting-children') wakeWorkers(ctx);
  return id;
}

/**
 * Applies BullMQ's deduplication: returns the id of the job that keeps the slot when the new job is
 * dropped, or undefined when the new job goes ahead (and now owns the slot).
 */
function deduplicate(ctx: QueueCtx, dedupId: string, dedup: DedupOpts, newId: string, now: number): string | undefined {
  const { store, queue } = ctx;
  const ttl = typeof dedup.ttl === 'number' && dedup.ttl > 0 ? dedup.ttl : null;
  const holder = store.one<{ job_id: string; expire_at: number | null }>(
    'SELECT job_id, expire_at FROM dedup WHERE queue = ? AND dedup_id = ?', queue, dedupId,
  );
  const live = holder && (holder.expire_at === null || holder.expire_at > now) ? holder : undefined;
  if (live) {
    const existing = store.one<{ state: string }>('SELECT state FROM jobs WHERE queue = ? AND id = ?', queue, live.job_id);
    if (dedup.replace && existing?.state === 'delayed') {
      store.run('DELETE FROM jobs WHERE queue = ? AND id = ?', queue, live.job_id);
      store.run('DELETE FROM logs WHERE queue = ? AND job_id = ?', queue, live.job_id);
      emitEvent(ctx, 'removed', { jobId: live.job_id, prev: 'delayed' });
    } else {
      if (dedup.extend && ttl !== null) {
        store.run('UPDATE dedup SET expire_at = ? WHERE queue = ? AND dedup_id = ?', now + ttl, queue, dedupId);
      }
      emitEvent(ctx, 'deduplicated', { jobId: live.job_id, deduplicationId: dedupId, deduplicatedJobId: newId });
      return live.job_id;
    }
  }
  store.run(
    'INSERT OR REPLACE INTO dedup (queue, dedup_id, job_id, expire_at) VALUES (?, ?, ?, ?)',
    queue, dedupId, newId, ttl === null ? null : now + ttl,
  );
  return undefined;
}
