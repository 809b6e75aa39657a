// Worker-thread entry: extracts one document and posts the result (or a typed error) back.
import { parentPort, workerData } from 'node:worker_threads';
import { AiStackError } from '../../shared/errors.ts';
import { extractDocument } from './index.ts';
import type { DocumentType, ExtractLimits } from './types.ts';

interface Job {
  bytes: Uint8Array;
  type?: DocumentType;
  filename?: string;
  limits: ExtractLimits;
}

const job = workerData as Job;
try {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const result = await extractDocument(bytes, { limits: job.limits, ...(job.type ? { type: job.type } : {}), ...(job.filename ? { filename: job.filename } : {}) });
  parentPort?.postMessage({ ok: true, result });
} catch (error) {
  const e = error as Error;
  parentPort?.postMessage({ ok: false, name: e.name, message: e.message, code: error instanceof AiStackError ? error.code : undefined, status: error instanceof AiStackError ? error.status : undefined });
}
