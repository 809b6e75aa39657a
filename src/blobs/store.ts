import type { Readable } from 'node:stream';
import { AiStackError } from '../shared/errors.ts';

/** What a store knows about one object. */
export interface BlobInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Bytes written to a store's staging area while their sha256 and size were computed: nothing is
 * visible under a key until `commit`. `discard` removes the staged bytes (idempotent).
 */
export interface StagedBlob {
  readonly sha256: string;
  readonly size: number;
  /** The first `bytes` bytes (to inspect content before deciding to keep it). */
  head(bytes: number): Promise<Buffer>;
  /** Makes the bytes visible under `key`; `created: false` when the key already held an object (then the store keeps that one). */
  commit(key: string): Promise<{ created: boolean }>;
  discard(): Promise<void>;
}

export interface StageOptions {
  /** Refuse (BlobTooLargeError) as soon as more than this many bytes have arrived. */
  maxBytes?: number;
}

/** One interface over the filesystem and S3-compatible stores; the conformance suite holds both to it. */
export interface BlobStore {
  readonly kind: 'fs' | 's3';
  /** Streams `body` into the staging area, hashing and counting as it goes; on any error nothing is left behind. */
  stage(body: Readable | Buffer, options?: StageOptions): Promise<StagedBlob>;
  /** Writes `body` under `key` (replacing any object there) atomically: readers see the old or the new bytes, never a part. */
  put(key: string, body: Readable | Buffer, options?: StageOptions): Promise<BlobInfo>;
  /** Throws BlobNotFoundError when the key holds nothing. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<BlobInfo | undefined>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix`; the order is the store's (S3 servers differ), sort if it matters. */
  list(prefix?: string): AsyncIterable<BlobInfo>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends AiStackError {
  constructor(key: string) {
    super(`blob "${key}" was not found`, { code: 'blob_not_found', status: 404 });
  }
}

export class BlobTooLargeError extends AiStackError {
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`the content is larger than the ${maxBytes} bytes allowed`, { code: 'content_too_large', status: 413 });
    this.maxBytes = maxBytes;
  }
}

export class InvalidBlobKeyError extends AiStackError {
  constructor(key: string, why: string) {
    super(`invalid blob key "${key.slice(0, 200)}": ${why}`, { code: 'invalid_blob_key', status: 400 });
  }
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,511}$/;

/** Keys are relative paths of safe segments: no `..`, no empty segment, no leading slash, no NUL. */
export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new InvalidBlobKeyError(key, 'use letters, digits, ".", "_", "-" and "/" (at most 512 characters)');
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..' || segment.startsWith('.'))) {
    throw new InvalidBlobKeyError(key, 'segments must not be empty or start with "."');
  }
  return key;
}

/** The key under which content with this sha256 is stored: `sha256/ab/cd/abcd…` (fan-out keeps directories small). */
export function contentKey(sha256: string, prefix = 'sha256'): string {
  if (!/^[a-f0-9]{64}$/.test(sha256)) throw new InvalidBlobKeyError(sha256, 'not a lower-case hex sha256');
  return `${prefix}/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}
