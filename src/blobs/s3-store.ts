import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as S3 from '@aws-sdk/client-s3';
import { spoolHashed, stagedBlob } from './hashing-stream.ts';
import { BlobNotFoundError, checkKey, type BlobInfo, type BlobStore, type StagedBlob, type StageOptions } from './store.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing slash), so several deployments can share a bucket. */
  prefix?: string;
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style URLs (`http://host/bucket/key`): what MinIO, s3rver and most self-hosted stores expect. */
  forcePathStyle?: boolean;
  /** Local directory where uploads are spooled while hashed: S3 needs the length (and we the hash) before the PUT. */
  stagingDir: string;
}

// The AWS SDK is tens of MB of modules: loaded when an S3 store is made, never by a service on files.
const load = createRequire(import.meta.url);

/**
 * An S3-compatible object store. Uploads are spooled to a local staging file first (bounded memory,
 * hash known before the object exists); a PUT is atomic in S3, so readers never see a partial object.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } = load(
    '@aws-sdk/client-s3',
  ) as typeof S3;
  const notFound = (error: unknown): boolean =>
    error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound');
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? true,
    // The SDK's default streams bodies as aws-chunked with a CRC trailer, which many S3-compatible stores
    // (s3rver, older MinIO, Ceph) store verbatim; checksums only where the operation requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const bucket = options.bucket;
  const prefix = options.prefix ? `${options.prefix}/` : '';
  const objectKey = (key: string) => prefix + checkKey(key);

  // Spooled locally (not fsynced: the object is durable once S3 has it, the spool file is thrown away).
  const spool = (body: Readable | Buffer, stage: StageOptions) => spoolHashed(options.stagingDir, body, { ...stage, durable: false });

  async function upload(path: string, size: number, key: string): Promise<void> {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey(key), Body: createReadStream(path), ContentLength: size }));
  }

  async function stat(key: string): Promise<BlobInfo | undefined> {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  return {
    kind: 's3',
    async stage(body, stageOptions = {}): Promise<StagedBlob> {
      const file = await spool(body, stageOptions);
      return stagedBlob(file, async (path, key) => {
        try {
          // Content-addressed keys hold the same bytes whoever wrote them: an existing one is kept.
          if (await stat(key)) return false;
          await upload(path, file.size, key);
          return true;
        } finally {
          await rm(path, { force: true });
        }
      });
    },
    async put(key, body, stageOptions = {}) {
      checkKey(key);
      const file = await spool(body, stageOptions);
      try {
        await upload(file.path, file.size, key);
      } finally {
        await rm(file.path, { force: true });
      }
      return (await stat(key)) as BlobInfo;
    },
    async get(key, range) {
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: objectKey(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        );
        return out.Body as Readable;
      } catch (error) {
        if (notFound(error)) throw new BlobNotFoundError(key);
        throw error;
      }
    },
    stat,
    async delete(key) {
      // S3 answers 204 whether or not the key existed: ask first so callers learn what happened.
      if (!(await stat(key))) return false;
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      return true;
    },
    async *list(listPrefix = '') {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + listPrefix, ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const item of page.Contents ?? []) {
          if (!item.Key) continue;
          yield { key: item.Key.slice(prefix.length), size: item.Size ?? 0, modifiedAt: item.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async close() {
      client.destroy();
    },
  };
}
