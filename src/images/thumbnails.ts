import { UnreadableImageError } from './errors.ts';
import type { RasterImage } from './pdf.ts';

/** The encodings every thumbnail is made in: AVIF for browsers that take it (about half WebP's bytes), WebP for the rest. */
export const THUMBNAIL_FORMATS = ['avif', 'webp'] as const;
export type ThumbnailFormat = (typeof THUMBNAIL_FORMATS)[number];

/** Widths (CSS pixels × density) a thumbnail is made at; never wider than the source. */
export const THUMBNAIL_WIDTHS = [160, 320, 640] as const;

export const THUMBNAIL_MEDIA_TYPES: Record<ThumbnailFormat, string> = { avif: 'image/avif', webp: 'image/webp' };

/**
 * Decoding is refused above this many pixels before any pixel is decoded (sharp reads the header first): a
 * 50 000 × 50 000 "decompression bomb" of a few kilobytes would otherwise need 10 GB of memory.
 * 100 megapixels is a 12 000 × 8 000 photo or an A4 page at 1 200 dpi.
 */
export const MAX_INPUT_PIXELS = 100_000_000;

export interface ThumbnailVariant {
  width: number;
  height: number;
  format: ThumbnailFormat;
  bytes: Buffer;
}

export interface Thumbnails {
  /** Size of the source image, after EXIF rotation. */
  source: { width: number; height: number; format: string };
  variants: ThumbnailVariant[];
}

export interface ThumbnailOptions {
  widths?: readonly number[];
  maxInputPixels?: number;
}

/**
 * AVIF and WebP thumbnails of an image (an encoded file, or pixels such as a rendered PDF page), one per width.
 * Hostile input fails with UnreadableImageError, never a crash: the pixel limit is checked from the header,
 * truncated or corrupt data fails on libvips' first warning (`failOn: 'warning'`), and only the first frame of an
 * animation is read.
 */
export async function makeThumbnails(input: Buffer | RasterImage, options: ThumbnailOptions = {}): Promise<Thumbnails> {
  // Loaded by the first image rather than at start: libvips is about 25 MB resident that a text-only service never needs.
  const { default: sharp } = await import('sharp');
  const limit = options.maxInputPixels ?? MAX_INPUT_PIXELS;
  const [data, raw] = Buffer.isBuffer(input) ? [input, {}] : [input.pixels, { raw: { width: input.width, height: input.height, channels: input.channels } }];
  const open = () => sharp(data, { ...raw, limitInputPixels: limit, failOn: 'warning', animated: false, sequentialRead: true });
  // The header alone (no pixel is decoded here), read without the limit so an oversized image is refused below
  // with its size in the message rather than libvips' bare "exceeds pixel limit".
  const meta = await Promise.resolve()
    .then(() => sharp(data, { ...raw, limitInputPixels: false, animated: false }).metadata())
    .catch((error: unknown) => {
      throw new UnreadableImageError(`not a readable image: ${reason(error)}`, error);
    });
  const { width = 0, height = 0, format = 'unknown' } = meta;
  if (width <= 0 || height <= 0) throw new UnreadableImageError('the image has no size');
  if (width * height > limit) {
    throw new UnreadableImageError(
      `the image is ${width} × ${height} pixels (${Math.round((width * height) / 1e6)} megapixels), more than the ${Math.round(limit / 1e6)} megapixel limit`,
    );
  }
  // EXIF orientations 5-8 swap the axes: the thumbnail is upright, so its size is of the rotated image.
  const swapped = (meta.orientation ?? 1) >= 5;
  const source = { width: swapped ? height : width, height: swapped ? width : height, format };
  const widths = [...new Set((options.widths ?? THUMBNAIL_WIDTHS).map((w) => Math.min(w, source.width)))].sort((a, b) => a - b);
  const variants: ThumbnailVariant[] = [];
  try {
    // The source is decoded once, to raw pixels at the largest width; every variant is made from those.
    const base = await open()
      .rotate()
      .resize({ width: widths.at(-1) ?? source.width, withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels = { width: base.info.width, height: base.info.height, channels: base.info.channels };
    // Encoded side by side: each encode is one libvips thread (sharp's default concurrency on glibc), so
    // awaiting them one by one left all but one core idle while a document waited for its thumbnail.
    const encodes = widths.flatMap((targetWidth) =>
      THUMBNAIL_FORMATS.map(async (format): Promise<ThumbnailVariant> => {
        const resized = sharp(base.data, { raw: pixels }).resize({ width: targetWidth });
        // AVIF effort 1 and WebP effort 2: at thumbnail sizes within a few per cent of the bytes of the slower
        // settings (AVIF effort 2: ±1 %; WebP's default 4: +3-10 %) in about half the encoding time.
        const encoded = format === 'avif' ? resized.avif({ quality: 50, effort: 1 }) : resized.webp({ quality: 75, effort: 2 });
        const out = await encoded.toBuffer({ resolveWithObject: true });
        return { width: out.info.width, height: out.info.height, format, bytes: out.data };
      }),
    );
    variants.push(...(await Promise.all(encodes)));
  } catch (error) {
    throw new UnreadableImageError(`the image could not be decoded: ${reason(error)}`, error);
  }
  return { source, variants };
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.slice(0, 300) ?? 'unknown error';
}
