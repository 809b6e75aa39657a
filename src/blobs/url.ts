import path from 'node:path';
import type { S3BlobStoreOptions } from './s3-store.ts';

export type BlobLocation = { kind: 'fs'; root: string } | { kind: 's3'; options: Omit<S3BlobStoreOptions, 'stagingDir'> };

/**
 * `file:///srv/blobs` or `s3://ACCESS:SECRET@bucket/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1`.
 * Without credentials in the URL the AWS SDK's default chain applies (environment, profile, instance role).
 */
export function parseBlobUrl(raw: string): BlobLocation {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('is not a URL; use s3://bucket/prefix?endpoint=… or file:///path');
  }
  if (url.protocol === 'file:') return { kind: 'fs', root: path.resolve(decodeURIComponent(url.pathname)) };
  if (url.protocol !== 's3:') throw new Error(`unsupported scheme "${url.protocol}"; use s3:// or file://`);
  if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(url.hostname)) throw new Error('needs a bucket name as its host, e.g. s3://my-bucket');
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) throw new Error('endpoint must be an http(s) URL');
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  const region = url.searchParams.get('region') ?? undefined;
  const credentials = url.username ? { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) } : undefined;
  return {
    kind: 's3',
    options: {
      bucket: url.hostname,
      ...(prefix ? { prefix } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
      ...(credentials ? { credentials } : {}),
      forcePathStyle: url.searchParams.get('path_style') !== 'false',
    },
  };
}
