import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longPdf } from '../../fixtures/documents-corpus.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { jpegPhoto, pngBomb } from '../images/hostile-images.ts';
import { settled, upload } from './support.ts';

/** Thumbnails through the real service: upload, process (sharp, pdftoppm), list with srcset, serve cacheable bytes. */
describe('documents: thumbnails', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite');
    await svc.runtime.startBackground();
  }, 120_000);
  afterAll(async () => svc?.cleanup());

  const variantUrls = (thumbnail: { sources: { type: string; srcset: string }[] }) =>
    thumbnail.sources.flatMap((s) =>
      s.srcset.split(', ').map((part) => ({ type: s.type, url: part.split(' ')[0]!, width: Number(part.split(' ')[1]!.slice(0, -1)) })),
    );

  it('an image document gets AVIF and WebP thumbnails, listed with srcset and served with a content hash, ETag and a year of caching', async () => {
    const res = await upload(svc, await jpegPhoto(1000, 750), 'harbour.jpg');
    expect(res.status).toBe(202);
    expect(res.body.document).toMatchObject({ detected_type: 'image', media_type: 'image/jpeg', thumbnail: null });
    const doc = await settled(svc, res.body.document.id);
    expect(doc).toMatchObject({ status: 'ready', detected_type: 'image', media_type: 'image/jpeg' });
    expect(doc.warnings).toEqual(['an image: it has no text to extract (OCR is not available)']);
    expect(doc.thumbnail).toMatchObject({ width: 640, height: 480 });
    expect(doc.thumbnail.sources.map((s: { type: string }) => s.type)).toEqual(['image/avif', 'image/webp']);
    const urls = variantUrls(doc.thumbnail);
    expect(urls.map((u) => u.width)).toEqual([160, 320, 640, 160, 320, 640]);
    expect(doc.thumbnail.src).toBe(urls.find((u) => u.type === 'image/webp' && u.width === 160)!.url);
    const listed = await (await svc.call('/api/v1/documents?sort=id&order=desc')).json();
    expect(listed.data[0].thumbnail).toEqual(doc.thumbnail);

    for (const { type, url, width } of urls) {
      expect(url).toMatch(new RegExp(`^/api/v1/documents/${doc.id}/thumbnails/[a-f0-9]{16}-${width}\\.(avif|webp)$`));
      const image = await svc.call(url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe(type);
      expect(image.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
      expect(meta.width).toBe(width);
      expect(meta.format).toBe(type === 'image/avif' ? 'heif' : 'webp');
    }
    const first = urls[0]!.url;
    const etag = (await svc.call(first)).headers.get('etag');
    expect(etag).toMatch(/^"[a-f0-9]{16}-160\.avif"$/);
    expect((await svc.call(first, { headers: { 'if-none-match': etag! } })).status).toBe(304);
    // A stale or guessed name is a 404, never another file.
    expect((await svc.call(`/api/v1/documents/${doc.id}/thumbnails/0000000000000000-160.avif`)).status).toBe(404);
    expect((await svc.call(`/api/v1/documents/${doc.id}/thumbnails/..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);
    // Authentication applies, as to every other document route.
    expect((await svc.call(first, { key: null })).status).toBe(401);
  });

  it("a PDF's first page becomes its thumbnail", async () => {
    const res = await upload(svc, await longPdf(2), 'long.pdf');
    const doc = await settled(svc, res.body.document.id);
    expect(doc).toMatchObject({ status: 'ready', detected_type: 'pdf' });
    // pdf-lib's 400 × 300 point pages, rendered and scaled to 640 wide.
    expect(doc.thumbnail).toMatchObject({ width: 640, height: 480 });
    const webp = await svc.call(doc.thumbnail.src);
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(Buffer.from(await webp.arrayBuffer())).metadata()).width).toBe(160);
  });

  it('a decompression bomb or a truncated image fails its own document with the reason; the service carries on', async () => {
    const bomb = await upload(svc, pngBomb(50_000, 50_000), 'bomb.png');
    expect(bomb.status).toBe(202);
    const bombDoc = await settled(svc, bomb.body.document.id);
    expect(bombDoc).toMatchObject({ status: 'failed', error_step: 'thumbnail', thumbnail: null });
    expect(bombDoc.error).toMatch(/50000 × 50000 pixels \(2500 megapixels\), more than the 100 megapixel limit/);

    const photo = await jpegPhoto(800, 600);
    const cut = await upload(svc, photo.subarray(0, Math.floor(photo.length * 0.6)), 'cut.jpg');
    const cutDoc = await settled(svc, cut.body.document.id);
    expect(cutDoc).toMatchObject({ status: 'failed', error_step: 'thumbnail', thumbnail: null });
    expect(cutDoc.error).toMatch(/^thumbnail failed: the image could not be decoded: /);

    // A file problem is final: no retries were spent on it.
    const task = await (await svc.call(`/admin/tasks/jobs/${encodeURIComponent(bombDoc.task_id)}`)).json();
    expect(task.attemptsMade).toBe(1);
    const healthy = await upload(svc, await jpegPhoto(200, 100), 'small.jpg');
    expect((await settled(svc, healthy.body.document.id)).thumbnail).toMatchObject({ width: 200, height: 100 });
  });
});
