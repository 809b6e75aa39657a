// ai-stack/blobs: one object-store interface (filesystem or S3-compatible), with content-addressed helpers.
import { join } from 'node:path';
import { createFsBlobStore } from './fs-store.ts';
import { createS3BlobStore } from './s3-store.ts';
import type { BlobStore } from './store.ts';

export {
  BlobNotFoundError,
  BlobTooLargeError,
  InvalidBlobKeyError,
  checkKey,
  contentKey,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type StagedBlob,
  type StageOptions,
} from './store.ts';
export { createFsBlobStore } from './fs-store.ts';
export { createS3BlobStore, type S3BlobStoreOptions } from './s3-store.ts';
export { parseBlobUrl, type BlobLocation } from './url.ts';
export { HashingCounter } from './hashing-stream.ts';
import { parseBlobUrl } from './url.ts';

/**
 * The store named by `AI_STACK_BLOB_URL` (parsed in config), or files under `<dataDir>/blobs`.
 * S3 uploads are spooled under `<dataDir>/blob-staging`.
 */
export function createBlobStore(url: string | undefined, dataDir: string): BlobStore {
  if (!url) return createFsBlobStore(join(dataDir, 'blobs'));
  const location = parseBlobUrl(url);
  if (location.kind === 'fs') return createFsBlobStore(location.root);
  return createS3BlobStore({ ...location.options, stagingDir: join(dataDir, 'blob-staging') });
}
