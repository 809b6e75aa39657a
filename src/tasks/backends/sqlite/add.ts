import { serverNow } from './clock.ts';
import type { JobJson } from 'bullmq';
import type { QueueCtx } from './context.ts';
import { emitEvent, emitEventPair, wakeWorkers } from './events.ts';
import { releaseParentIfReady } from './parents.ts';
import { deleteJob } from './removal.ts';
import { Code, CodeError, HEAD_COLUMNS, type JobHead, type ParentRef } from './rows.ts';

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
  /** Inside a flow: a parent is released once the whole flow is added, not by its first child. */
  deferParentRelease?: boolean;
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
  if (!generated) {
    const existing = store.one<{ state: string; parent_key: string | null; returnvalue: string | null }>(
      'SELECT state, parent_key, returnvalue FROM jobs WHERE queue = ? AND id = ?',
      queue,
      id,
    );
    if (existing) {
      if (entry.addToWaitingChildren) throw new CodeError(-7);
      linkExistingToParent(ctx, entry, id, existing, now);
      emitEvent(ctx, 'duplicated', { jobId: id });
      return id;
    }
  }

  if (dedupId) {
    // Deduplication TTLs run on the server clock, as Redis key expiry does.
    const pending: PendingAdd = { job, jobId: id };
    const pendingParentKey = entry.parentKey || job.parentKey;
    if (pendingParentKey) pending.parentKey = pendingParentKey;
    const kept = deduplicate(ctx, dedupId, dedup ?? {}, pending, serverNow());
    if (kept !== undefined) return kept;
  }

  const parentKey = entry.parentKey || job.parentKey || (parent ? `${parent.queueKey}:${parent.id}` : null);
  if (parent) {
    const parentRow = store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
    if (!parentRow) throw new CodeError(Code.ParentJobNotExist);
    store.run(
      `INSERT OR REPLACE INTO deps (parent_queue, parent_id, child_key, child_queue, child_id, status, value)
       VALUES (?, ?, ?, ?, ?, 'pending', NULL)`,
      parent.queueKey,
      parent.id,
      `${queue}:${id}`,
      queue,
      id,
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
    queue,
    id,
    seq,
    job.name,
    state,
    job.data ?? '{}',
    JSON.stringify(opts),
    priority,
    delay,
    timestamp,
    processAt,
    dedupId ?? null,
    job.repeatJobKey ?? null,
    parent ? JSON.stringify(parent) : null,
    parentKey,
    job.attemptsMade ?? 0,
    job.attemptsStarted ?? 0,
    job.stalledCounter ?? 0,
  );

  const added = { jobId: id, name: job.name };
  if (state === 'wait') emitEventPair(ctx, 'added', added, 'waiting', { jobId: id });
  else if (state === 'delayed') emitEventPair(ctx, 'added', added, 'delayed', { jobId: id, delay: processAt ?? 0 });
  else emitEventPair(ctx, 'added', added, 'waiting-children', { jobId: id });
  if (state !== 'waiting-children') wakeWorkers(ctx);
  return id;
}

interface DedupOptsFull extends DedupOpts {
  keepLastIfActive?: boolean;
  reschedule?: boolean;
}

/**
 * Re-adding an existing job id with a parent (handleDuplicatedJob): the job is attached to the new
 * parent when it has none (or the same, or a parent that no longer exists): a completed job counts
 * as processed for it, any other becomes one of its pending children. Another live parent is an
 * error, BullMQ's -7 "cannot be replaced".
 */
function linkExistingToParent(
  ctx: QueueCtx,
  entry: AddEntry,
  id: string,
  existing: { state: string; parent_key: string | null; returnvalue: string | null },
  now: number,
): void {
  const { store, queue } = ctx;
  const parent = entry.job.parent as ParentRef | undefined;
  const parentKey = entry.parentKey || entry.job.parentKey || (parent ? `${parent.queueKey}:${parent.id}` : '');
  if (!parentKey || !parent) return;
  if (existing.parent_key && existing.parent_key !== parentKey) {
    const old = nodeKey(existing.parent_key);
    if (store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', old.queue, old.id)) throw new CodeError(-7);
  }
  const childKey = `${queue}:${id}`;
  const linked = store.one('SELECT 1 AS x FROM deps WHERE parent_queue = ? AND parent_id = ? AND child_key = ?', parent.queueKey, parent.id, childKey);
  if (!linked) {
    const completed = existing.state === 'completed';
    store.run(
      `INSERT INTO deps (parent_queue, parent_id, child_key, child_queue, child_id, status, value) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      parent.queueKey,
      parent.id,
      childKey,
      queue,
      id,
      completed ? 'processed' : 'pending',
      completed ? (existing.returnvalue ?? 'null') : null,
    );
    if (!completed) store.run('UPDATE jobs SET pending_deps = pending_deps + 1 WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
    else if (!entry.deferParentRelease) releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
  }
  store.run('UPDATE jobs SET parent = ?, parent_key = ? WHERE queue = ? AND id = ?', JSON.stringify(parent), parentKey, queue, id);
}

/** `<prefix>:<queue>:<id>` → the qualified queue and the id. */
function nodeKey(key: string): { queue: string; id: string } {
  const last = key.lastIndexOf(':');
  return { queue: key.slice(0, last), id: key.slice(last + 1) };
}

/** What a deduplicated add needs to be replayed later (keepLastIfActive). */
export interface PendingAdd {
  job: JobJson;
  jobId: string;
  parentKey?: string;
}

/**
 * Applies BullMQ's deduplication (simple, throttle with `ttl`, debounce with `extend`/`replace`,
 * `keepLastIfActive`) the way its `deduplicateJob` script does: returns the id of the job that keeps
 * the slot when the new job is dropped, or undefined when the new job goes ahead (and now owns the
 * slot). `now` is the server clock (slot TTLs are Redis key expiries there).
 */
function deduplicate(ctx: QueueCtx, dedupId: string, dedup: DedupOptsFull, add: PendingAdd, now: number): string | undefined {
  const { store, queue } = ctx;
  const newId = add.jobId;
  const ttl = typeof dedup.ttl === 'number' && dedup.ttl > 0 ? dedup.ttl : null;
  // keepLastIfActive keeps the slot until its job finishes, whatever the ttl.
  const setSlot = (jobId: string, slotTtl: number | null = dedup.keepLastIfActive ? null : ttl): void => {
    store.run(
      'INSERT OR REPLACE INTO dedup (queue, dedup_id, job_id, expire_at) VALUES (?, ?, ?, ?)',
      queue,
      dedupId,
      jobId,
      slotTtl === null ? null : now + slotTtl,
    );
  };
  const holder = store.one<{ job_id: string; expire_at: number | null }>(
    'SELECT job_id, expire_at FROM dedup WHERE queue = ? AND dedup_id = ?',
    queue,
    dedupId,
  );
  const live = holder && (holder.expire_at === null || holder.expire_at > now) ? holder : undefined;
  if (!live) {
    setSlot(newId);
    return undefined;
  }
  const current = live.job_id;
  const existing = store.one<{ state: string; seq: number }>('SELECT state, seq FROM jobs WHERE queue = ? AND id = ?', queue, current);
  const deduplicated = (): void => {
    emitEvent(ctx, 'deduplicated', { jobId: current, deduplicationId: dedupId, deduplicatedJobId: newId });
  };
  // A slot without expiry whose job is gone (removed outside BullMQ) would block the id forever.
  const recoverStale = (): boolean => {
    if (live.expire_at !== null || existing) return false;
    store.run('DELETE FROM dedup_next WHERE queue = ? AND dedup_id = ?', queue, dedupId);
    setSlot(newId);
    return true;
  };
  // keepLastIfActive: while the slot's job runs, remember the newest add to replay when it finishes.
  const storeNext = (): boolean => {
    if (!dedup.keepLastIfActive || existing?.state !== 'active') return false;
    store.run('INSERT OR REPLACE INTO dedup_next (queue, dedup_id, job) VALUES (?, ?, ?)', queue, dedupId, JSON.stringify(add));
    store.run('UPDATE dedup SET expire_at = NULL WHERE queue = ? AND dedup_id = ?', queue, dedupId);
    deduplicated();
    return true;
  };

  if (dedup.replace) {
    if (existing?.state === 'delayed') {
      const row = store.one<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND id = ?`, queue, current);
      if (row) deleteJob(ctx, row, now);
      emitEvent(ctx, 'removed', { jobId: current, prev: 'delayed' });
      emitEvent(ctx, 'deduplicated', { jobId: newId, deduplicationId: dedupId, deduplicatedJobId: current });
      store.run('DELETE FROM dedup_next WHERE queue = ? AND dedup_id = ?', queue, dedupId);
      // Without extend, a replacing job inherits the window's remaining time (Redis's KEEPTTL).
      if (!dedup.keepLastIfActive && !dedup.extend && ttl !== null) setSlot(newId, live.expire_at === null ? null : live.expire_at - now);
      else setSlot(newId);
      return undefined;
    }
    if (recoverStale()) return undefined;
    storeNext();
    return current;
  }
  if (recoverStale()) return undefined;
  if (storeNext()) return current;
  if (ttl !== null && dedup.extend) setSlot(current);
  deduplicated();
  if (dedup.reschedule && existing?.state === 'delayed') {
    const delay = Math.max(0, Number((add.job.opts as { delay?: number } | undefined)?.delay ?? 0) || 0);
    const at = (Number(add.job.timestamp) || Date.now()) + delay;
    store.run('UPDATE jobs SET delay = ?, process_at = ? WHERE queue = ? AND id = ?', delay, at, queue, current);
    emitEvent(ctx, 'delayed', { jobId: current, delay: at });
  }
  return current;
}

/** After a deduplicated job finished: add the job remembered by keepLastIfActive, if any (requeueDeduplicatedJob). */
export function requeueDeduplicated(ctx: QueueCtx, dedupId: string, now: number): void {
  const row = ctx.store.one<{ job: string }>('SELECT job FROM dedup_next WHERE queue = ? AND dedup_id = ?', ctx.queue, dedupId);
  if (!row) return;
  ctx.store.run('DELETE FROM dedup_next WHERE queue = ? AND dedup_id = ?', ctx.queue, dedupId);
  ctx.store.run('DELETE FROM dedup WHERE queue = ? AND dedup_id = ?', ctx.queue, dedupId);
  const pending = JSON.parse(row.job) as PendingAdd;
  // The id counter moves on either way, as on Redis.
  const nextId = String(ctx.store.reserve(ctx.queue, 'id'));
  const entry: AddEntry = { job: pending.job, jobId: pending.jobId || nextId };
  if (pending.parentKey) entry.parentKey = pending.parentKey;
  addJobTx(ctx, entry, now);
}
