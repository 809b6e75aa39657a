// Extraction process: a long-lived child of the service (src/documents/extract/isolated.ts) that extracts one
// document per message and answers with the result or a typed error. It is reused across documents (the
// libraries load once), killed by the parent on a time limit, and its heap is capped by its launch flags.
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

process.on('message', (job: ExtractionJob) => {
  void (async () => {
    try {
      const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
      const result = await extractDocument(bytes, {
        limits: job.limits,
        ...(job.type ? { type: job.type } : {}),
        ...(job.filename ? { filename: job.filename } : {}),
      });
      process.send?.({ id: job.id, ok: true, result });
    } catch (error) {
      const e = error as Error;
      process.send?.({ id: job.id, ok: false, name: e.name, message: e.message, code: error instanceof AiStackError ? error.code : undefined });
    }
  })();
});
// The service is gone (exited, or killed): nothing more will come.
process.on('disconnect', () => process.exit(0));
