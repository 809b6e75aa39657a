import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBlobStore, createFsBlobStore } from '../../src/blobs/index.ts';
import { startTestS3 } from '../support/s3.ts';
import { blobStoreSuite } from './blob-store-suite.ts';

const filesIn = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

blobStoreSuite('filesystem', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ai-stack-blobs-'));
  return {
    store: createFsBlobStore(root),
    stagedFiles: async () => filesIn(join(root, '.staging')),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

blobStoreSuite('s3 (s3rver on loopback)', async () => {
  const s3 = await startTestS3();
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-blobs-s3-'));
  const store = createBlobStore(s3.url('node-a'), dataDir);
  return {
    store,
    stagedFiles: async () => filesIn(join(dataDir, 'blob-staging')),
    cleanup: async () => {
      await store.close();
      await s3.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
