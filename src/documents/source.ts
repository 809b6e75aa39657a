import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/index.ts';
import { decodeLines, guessEncoding } from './extract/decode.ts';
import { detectType } from './extract/detect.ts';
import { UnreadableDocumentError } from './extract/errors.ts';
import { runExtraction, type IsolationOptions } from './extract/isolated.ts';
import { lineReader, type LineReader } from './extract/text.ts';
import { IMAGE_WARNING, type Block, type DocumentType } from './extract/types.ts';
import type { DocumentInfo } from './text/metadata.ts';

/** Bytes read to decide a file's type and a text file's encoding. */
export const HEAD_BYTES = 256 * 1024;

/** A document's blocks, read once in order; `info()` is complete after the last block. */
export interface BlockSource {
  type: DocumentType;
  blocks: AsyncIterable<Block>;
  info(): DocumentInfo;
}

const STREAMED = new Set<DocumentType>(['text', 'markdown', 'csv']);

/** Whether the service reads this type in its own thread, line by line, rather than in an extraction process. */
export function readsInServiceThread(type: DocumentType): boolean {
  return STREAMED.has(type);
}

/** Reads a whole blob into one exactly-sized buffer (sent whole to the extraction process). */
export async function readAll(stream: Readable, size: number): Promise<Buffer> {
  const out = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  for await (const part of stream) {
    const chunk = part as Buffer;
    if (offset + chunk.length > size) throw new UnreadableDocumentError(`the stored content is larger than the recorded ${size} bytes`);
    chunk.copy(out, offset);
    offset += chunk.length;
  }
  if (offset !== size) throw new UnreadableDocumentError(`the stored content has ${offset} of the recorded ${size} bytes`);
  return out;
}

async function* noBlocks(): AsyncGenerator<Block> {
  yield* [];
}

async function* streamedBlocks(stream: Readable, reader: LineReader, head: Buffer, complete: boolean): AsyncGenerator<Block> {
  try {
    for await (const line of decodeLines(stream as AsyncIterable<Buffer>, guessEncoding(head, complete))) yield* reader.line(line);
    yield* reader.end();
  } finally {
    // The consumer may stop early (text limit, failure): release the blob stream.
    stream.destroy();
  }
}

export interface SourceRequest {
  blobs: BlobStore;
  key: string;
  size: number;
  filename: string;
  extraction: IsolationOptions;
}

/**
 * The blocks of a stored file. Text, Markdown and CSV are decoded and read line by line straight from the
 * blob store (memory: one line and one block, whatever the file's size). PDF and Office files, HTML and
 * e-mail need the whole file: they are read in an extraction process, whose heap limit bounds the memory
 * they may take (AI_STACK_EXTRACT_MEMORY_MB) and whose time is limited.
 */
export async function openBlocks(request: SourceRequest): Promise<{ type: DocumentType; open: () => Promise<BlockSource> }> {
  const { blobs, key, size, filename } = request;
  if (size === 0) throw new UnreadableDocumentError('the file is empty (0 bytes)');
  const headSize = Math.min(size, HEAD_BYTES);
  const head = await readAll(await blobs.get(key, { start: 0, end: headSize - 1 }), headSize);
  const type = await detectType(head, filename);
  const open = async (): Promise<BlockSource> => {
    // An image has no text: nothing to read (its thumbnail is the pipeline's thumbnail step).
    if (type === 'image') return { type, blocks: noBlocks(), info: () => ({ type, warnings: [IMAGE_WARNING] }) };
    if (readsInServiceThread(type)) {
      const reader = lineReader(type as LineReader['type']);
      const encoding = guessEncoding(head, size === headSize).encoding;
      return {
        type,
        blocks: streamedBlocks(await blobs.get(key), reader, head, size === headSize),
        info: () => {
          const title = reader.title();
          return { type, encoding, warnings: [], ...(title ? { title } : {}) };
        },
      };
    }
    const extracted = await runExtraction(await readAll(await blobs.get(key), size), { ...request.extraction, type, filename });
    const { blocks, ...info } = extracted;
    return {
      type,
      blocks: (async function* () {
        yield* blocks;
      })(),
      info: () => info,
    };
  };
  return { type, open };
}
