import { randomUUID } from 'node:crypto';
import type { FlowJob, JobsOptions } from 'bullmq';
import { ValidationError } from '../shared/errors.ts';
import type { TaskDefinition } from './define.ts';
import { TaskHandle, type HandleContext } from './handle.ts';
import { expiresAtFor, jobOptionsFor, type ApplyOptions, type TaskFlowProducer } from './queues.ts';
import type { TaskEnvelope } from './results.ts';

/**
 * A task call not yet sent (Celery's signature). `hasArgs: false` means "my arguments are my
 * predecessor's result" (chain) or "the list of the header's results" (chord callback); those are
 * validated when the task starts, since they do not exist at enqueue time.
 */
export interface Signature {
  readonly def: TaskDefinition;
  readonly args: unknown;
  readonly hasArgs: boolean;
  readonly opts: ApplyOptions;
}

/** One node of a flow tree as we build it; handed to BullMQ as a FlowJob. */
interface FlowNode {
  name: string;
  queueName: string;
  data: TaskEnvelope;
  opts: JobsOptions & { failParentOnFailure?: boolean };
  children?: FlowNode[];
}

function node(sig: Signature, id: string, from: TaskEnvelope['from'], now: number): FlowNode {
  const expiresAt = expiresAtFor(sig.opts, now);
  const data: TaskEnvelope = {
    task: sig.def.name,
    ...(sig.hasArgs ? { args: sig.args } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(!sig.hasArgs && from ? { from } : {}),
  };
  return { name: sig.def.name, queueName: sig.def.queue, data, opts: jobOptionsFor(sig.def, id, sig.opts, now) };
}

/** Chain a → b → c: a BullMQ flow where each link is the parent of its predecessor. */
export async function buildChain(ctx: HandleContext, flow: TaskFlowProducer, sigs: Signature[]): Promise<TaskHandle> {
  const first = sigs[0];
  const last = sigs[sigs.length - 1];
  if (!first || !last) throw new ValidationError('a chain needs at least one task');
  if (!first.hasArgs) throw new ValidationError('the first task of a chain needs its arguments');
  const now = Date.now();
  const ids = sigs.map(() => randomUUID());
  let tree: FlowNode | undefined;
  sigs.forEach((sig, i) => {
    const id = ids[i] as string;
    const prev = i > 0 ? ids[i - 1] : undefined;
    const n = node(sig, id, prev === undefined ? undefined : { ids: [prev], mode: 'one' }, now);
    if (tree) {
      // A failed link fails the rest of the chain instead of leaving it waiting forever.
      tree.opts = { ...tree.opts, failParentOnFailure: true };
      n.children = [tree];
    }
    tree = n;
  });
  await flow.add(tree as unknown as FlowJob);
  return new TaskHandle(ctx, ids[ids.length - 1] as string, last.def.queue);
}

/** Chord: run `header` in parallel, then `callback` with the list of their results (in order). */
export async function buildChord(ctx: HandleContext, flow: TaskFlowProducer, header: Signature[], callback: Signature): Promise<TaskHandle> {
  if (header.length === 0) throw new ValidationError('a chord needs at least one header task');
  if (header.some((s) => !s.hasArgs)) throw new ValidationError('every header task of a chord needs its arguments');
  const now = Date.now();
  const ids = header.map(() => randomUUID());
  const children = header.map((sig, i) => {
    const child = node(sig, ids[i] as string, undefined, now);
    child.opts = { ...child.opts, failParentOnFailure: true };
    return child;
  });
  const callbackId = randomUUID();
  const root = { ...node(callback, callbackId, { ids, mode: 'all' }, now), children };
  await flow.add(root);
  return new TaskHandle(ctx, callbackId, callback.def.queue);
}
