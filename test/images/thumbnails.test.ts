import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { longPdf } from '../../fixtures/documents-corpus.ts';
import { makeThumbnails, parsePpm, rasterizeFirstPage, UnreadableImageError } from '../../src/images/index.ts';
import { jpegPhoto, pngBomb } from './hostile-images.ts';

describe('image thumbnails (sharp, poppler)', () => {
  it('makes AVIF and WebP variants at each width, never wider than the source, with the aspect ratio kept', async () => {
    const photo = await jpegPhoto(900, 600);
    const { source, variants } = await makeThumbnails(photo, { widths: [160, 320, 640, 1280] });
    expect(source).toEqual({ width: 900, height: 600, format: 'jpeg' });
    expect(variants.map((v) => `${v.format}@${v.width}x${v.height}`)).toEqual([
      'avif@160x107',
      'webp@160x107',
      'avif@320x213',
      'webp@320x213',
      'avif@640x427',
      'webp@640x427',
      'avif@900x600',
      'webp@900x600',
    ]);
    for (const v of variants) {
      const meta = await sharp(v.bytes).metadata();
      expect(meta.format).toBe(v.format === 'avif' ? 'heif' : 'webp');
      expect(meta.width).toBe(v.width);
    }
  });

  it('refuses a decompression bomb from its header, before decoding a pixel', async () => {
    const bomb = pngBomb(60_000, 60_000);
    expect(bomb.length).toBeLessThan(100_000);
    const error = await makeThumbnails(bomb).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableImageError);
    expect((error as Error).message).toMatch(/60000 × 60000 pixels \(3600 megapixels\), more than the 100 megapixel limit/);
    expect((error as UnreadableImageError).status).toBe(422);
  });

  it('refuses a truncated or non-image file with a readable reason', async () => {
    const photo = await jpegPhoto(400, 300);
    const truncated = photo.subarray(0, Math.floor(photo.length / 2));
    await expect(makeThumbnails(truncated)).rejects.toThrow(/^the image could not be decoded: /);
    await expect(makeThumbnails(Buffer.from('not an image at all'))).rejects.toThrow(/^not a readable image: /);
    await expect(makeThumbnails(Buffer.alloc(0))).rejects.toBeInstanceOf(UnreadableImageError);
  });

  it('renders the first page of a PDF as pixels, scaled to fit, and fails cleanly on a broken PDF', async () => {
    const page = await rasterizeFirstPage(Buffer.from(await longPdf(3)), { maxSide: 400 });
    // pdf-lib pages are 400 × 300 points: the longest side is scaled to 400 pixels.
    expect([page.width, page.height, page.pixels.length]).toEqual([400, 300, 400 * 300 * 3]);
    // A white page with dark text on it, not an empty or garbled buffer.
    const [red] = (await sharp(page.pixels, { raw: page }).stats()).channels;
    expect([red!.max, red!.min < 100, red!.mean > 200]).toEqual([255, true, true]);
    await expect(rasterizeFirstPage(Buffer.from('%PDF-1.7\nthis is not really a PDF'))).rejects.toThrow(/first page could not be rendered/);
  });

  it('reads only complete 8-bit PPM images', () => {
    const pixels = Buffer.alloc(2 * 3 * 3, 7);
    expect(parsePpm(Buffer.concat([Buffer.from('P6\n2 3\n255\n'), pixels]))).toMatchObject({ width: 2, height: 3, channels: 3, pixels });
    for (const bad of ['P6\n2 3\n255\n', 'P6\n2 4\n255\n', 'P6\n2 3\n65535\n', 'P5\n2 3\n255\n', 'P6\n0 3\n255\n'])
      expect(() => parsePpm(Buffer.concat([Buffer.from(bad), bad === 'P6\n2 3\n255\n' ? pixels.subarray(1) : pixels]))).toThrow(UnreadableImageError);
  });
});
