// Extraction thread: a long-lived worker that extracts one document per message and answers with the
// result or a typed error. It is reused across documents (the libraries load once) and terminated by
// the parent on a time limit; its memory is capped by `resourceLimits`.
import { parentPort } from 'node:worker_threads';
import { AiStackError } from '../../shared/errors.ts';
import { extractDocument } from './index.ts';
import type { DocumentType, ExtractLimits } from './types.ts';

export interface ExtractionJob {
  id: number;
  bytes: Uint8Array;
  type?: DocumentType;
  filename?: string;
  limits: ExtractLimits;
}

parentPort?.on('message', (job: ExtractionJob) => {
  void (async () => {
    try {
      const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
      const result = await extractDocument(bytes, {
        limits: job.limits,
        ...(job.type ? { type: job.type } : {}),
        ...(job.filename ? { filename: job.filename } : {}),
      });
      parentPort?.postMessage({ id: job.id, ok: true, result });
    } catch (error) {
      const e = error as Error;
      parentPort?.postMessage({ id: job.id, ok: false, name: e.name, message: e.message, code: error instanceof AiStackError ? error.code : undefined });
    }
  })();
});
