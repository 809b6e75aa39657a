import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError, BlobTooLargeError, InvalidBlobKeyError, contentKey, type BlobStore } from '../../src/blobs/index.ts';

export interface BlobHarness {
  store: BlobStore;
  /** Files left in the store's staging area (must be none after every operation). */
  stagedFiles(): Promise<string[]>;
  cleanup(): Promise<void>;
}

async function bytes(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts);
}

async function keys(store: BlobStore, prefix?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out.sort();
}

/** The one suite every blob store passes: put/get/stat/delete/list, ranges, staging, limits, hostile keys. */
export function blobStoreSuite(name: string, create: () => Promise<BlobHarness>): void {
  describe(`blob store conformance: ${name}`, () => {
    let h: BlobHarness;
    beforeAll(async () => {
      h = await create();
    });
    afterAll(async () => {
      await h.cleanup();
    });

    it('puts, stats, gets, lists and deletes an object', async () => {
      const info = await h.store.put('a/b/hello.txt', Buffer.from('你好, world'));
      expect(info.size).toBe(Buffer.byteLength('你好, world'));
      expect((await h.store.stat('a/b/hello.txt'))?.size).toBe(info.size);
      expect(await text(await h.store.get('a/b/hello.txt'))).toBe('你好, world');
      expect(await keys(h.store, 'a/')).toEqual(['a/b/hello.txt']);
      expect(await h.store.delete('a/b/hello.txt')).toBe(true);
      expect(await h.store.delete('a/b/hello.txt')).toBe(false);
      expect(await h.store.stat('a/b/hello.txt')).toBeUndefined();
      await expect(h.store.get('a/b/hello.txt')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('replaces an object on put and lists the keys under a prefix', async () => {
      await h.store.put('list/b', Buffer.from('1'));
      await h.store.put('list/a-c', Buffer.from('2'));
      await h.store.put('list/a/b', Buffer.from('3'));
      await h.store.put('list/b', Buffer.from('replaced'));
      expect(await keys(h.store, 'list/')).toEqual(['list/a-c', 'list/a/b', 'list/b']);
      expect(await text(await h.store.get('list/b'))).toBe('replaced');
      expect(await keys(h.store, 'nothing-here/')).toEqual([]);
    });

    it('reads byte ranges', async () => {
      await h.store.put('range.bin', Buffer.from('0123456789'));
      expect((await bytes(await h.store.get('range.bin', { start: 2, end: 5 }))).toString()).toBe('2345');
      expect((await bytes(await h.store.get('range.bin', { start: 9, end: 9 }))).toString()).toBe('9');
    });

    it('streams a large object through staging with its sha256 and size, and commits it content-addressed once', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const sha = createHash('sha256').update(data).digest('hex');
      const staged = await h.store.stage(Readable.from(chunks(data, 64 * 1024)));
      expect(staged.sha256).toBe(sha);
      expect(staged.size).toBe(data.length);
      expect((await staged.head(10)).equals(data.subarray(0, 10))).toBe(true);
      expect(await h.store.stat(contentKey(sha))).toBeUndefined();
      expect(await staged.commit(contentKey(sha))).toEqual({ created: true });
      const again = await h.store.stage(data);
      expect(await again.commit(contentKey(sha))).toEqual({ created: false });
      expect((await bytes(await h.store.get(contentKey(sha)))).equals(data)).toBe(true);
      expect(await h.stagedFiles()).toEqual([]);
    });

    it('discards a staged blob without a trace', async () => {
      const staged = await h.store.stage(Buffer.from('never committed'));
      await staged.discard();
      await staged.discard();
      expect(await h.stagedFiles()).toEqual([]);
      expect(await keys(h.store, 'sha256/')).not.toContain(contentKey(staged.sha256));
    });

    it('refuses more than maxBytes while streaming and leaves nothing behind', async () => {
      await expect(h.store.stage(Readable.from(chunks(randomBytes(300_000), 10_000)), { maxBytes: 100_000 })).rejects.toBeInstanceOf(BlobTooLargeError);
      await expect(h.store.put('too/big', randomBytes(2000), { maxBytes: 1000 })).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await h.store.stat('too/big')).toBeUndefined();
      expect(await h.stagedFiles()).toEqual([]);
    });

    it('leaves nothing when the source stream fails half-way', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(50_000, 1));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(h.store.stage(failing)).rejects.toThrow('client went away');
      expect(await h.stagedFiles()).toEqual([]);
    });

    it('stores an empty object', async () => {
      await h.store.put('empty', Buffer.alloc(0));
      expect((await h.store.stat('empty'))?.size).toBe(0);
      expect((await bytes(await h.store.get('empty'))).length).toBe(0);
    });

    it.each(['../escape', 'a/../../etc/passwd', '/absolute', 'a//b', 'nul\u0000byte', '.hidden', 'a/./b', 'x'.repeat(600), '中文'])(
      'refuses the hostile key %j',
      async (key) => {
        await expect(h.store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(h.store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      },
    );
  });
}

function* chunks(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
