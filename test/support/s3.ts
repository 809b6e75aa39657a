import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types; its constructor and run/close are all the tests use.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** `AI_STACK_BLOB_URL` for this server and bucket. */
  url(prefix?: string): string;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

/** A real S3-protocol server (s3rver) on a free loopback port, with one bucket, its files in a temp dir. */
export async function startTestS3(bucket = 'ai-stack-test'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-s3-'));
  const Server = S3rver as unknown as new (options: Record<string, unknown>) => S3rverInstance;
  const server = new Server({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    url: (prefix = '') => `s3://S3RVER:S3RVER@${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}`,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
