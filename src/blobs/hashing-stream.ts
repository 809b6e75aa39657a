import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BlobTooLargeError } from './store.ts';

/** Pass-through that hashes and counts bytes, failing with BlobTooLargeError the moment the limit is passed. */
export class HashingCounter extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #maxBytes: number;
  size = 0;

  constructor(maxBytes = Number.POSITIVE_INFINITY) {
    super();
    this.#maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.#maxBytes) {
      done(new BlobTooLargeError(this.#maxBytes));
      return;
    }
    this.#hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}
