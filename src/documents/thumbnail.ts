import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/index.ts';
import { makeThumbnails, rasterizeFirstPage, THUMBNAIL_FORMATS, THUMBNAIL_MEDIA_TYPES, type ThumbnailFormat } from '../images/index.ts';

/** What `metadata.thumbnail` holds: enough to name every variant's URL without a blob-store round trip. */
export interface ThumbnailRecord {
  /** 16 hex digits of the sha256 over every variant's bytes: a new rendering gets new URLs, so old ones can be cached forever. */
  hash: string;
  /** Size of the largest variant (the aspect ratio the page reserves before the image arrives). */
  width: number;
  height: number;
  widths: number[];
  formats: ThumbnailFormat[];
  /** `image` or `pdf` (the first page). */
  from: string;
}

/** The API's view of a thumbnail: ready-made `srcset` strings, most compact format first. */
export interface ThumbnailLinks {
  width: number;
  height: number;
  src: string;
  sources: { type: string; srcset: string }[];
}

const NAME = /^([a-f0-9]{16})-(\d{1,5})\.(avif|webp)$/;

const prefixOf = (sha256: string): string => `thumbnails/${sha256}/`;
const keyOf = (sha256: string, name: string): string => `${prefixOf(sha256)}${name}`;
const nameOf = (hash: string, width: number, format: ThumbnailFormat): string => `${hash}-${width}.${format}`;

/**
 * Renders and stores the thumbnails of an image or of a PDF's first page; other types have none (null).
 * Variants are written before the record that names them, and stale ones removed after it: a reader never
 * gets a URL whose bytes are missing.
 */
export async function storeThumbnails(blobs: BlobStore, sha256: string, type: string, original: () => Promise<Buffer>): Promise<ThumbnailRecord | null> {
  if (type !== 'image' && type !== 'pdf') return null;
  const bytes = type === 'pdf' ? await rasterizeFirstPage(await original()) : await original();
  const { variants } = await makeThumbnails(bytes);
  const digest = createHash('sha256');
  for (const v of variants) digest.update(v.bytes);
  const hash = digest.digest('hex').slice(0, 16);
  const keep = new Set<string>();
  for (const v of variants) {
    const key = keyOf(sha256, nameOf(hash, v.width, v.format));
    keep.add(key);
    await blobs.put(key, v.bytes);
  }
  const largest = variants.reduce((a, b) => (b.width > a.width ? b : a));
  const stale: string[] = [];
  for await (const info of blobs.list(prefixOf(sha256))) if (!keep.has(info.key)) stale.push(info.key);
  for (const key of stale) await blobs.delete(key);
  return {
    hash,
    width: largest.width,
    height: largest.height,
    widths: [...new Set(variants.map((v) => v.width))],
    formats: [...THUMBNAIL_FORMATS],
    from: type,
  };
}

/** Removes every stored thumbnail of the content `sha256` (when the content itself goes). */
export async function deleteThumbnails(blobs: BlobStore, sha256: string): Promise<void> {
  const keys: string[] = [];
  for await (const info of blobs.list(prefixOf(sha256))) keys.push(info.key);
  for (const key of keys) await blobs.delete(key);
}

/** Reads a stored record defensively: metadata is JSON a client can also write (PATCH), so a malformed entry is no thumbnail. */
export function thumbnailRecordOf(metadata: Record<string, unknown>): ThumbnailRecord | null {
  const t = metadata.thumbnail as Partial<ThumbnailRecord> | undefined;
  if (!t || typeof t !== 'object' || typeof t.hash !== 'string' || !/^[a-f0-9]{16}$/.test(t.hash)) return null;
  if (!Number.isInteger(t.width) || !Number.isInteger(t.height) || !Array.isArray(t.widths) || !Array.isArray(t.formats)) return null;
  const widths = t.widths.filter((w): w is number => Number.isInteger(w) && w > 0 && w < 100_000);
  const formats = t.formats.filter((f): f is ThumbnailFormat => (THUMBNAIL_FORMATS as readonly string[]).includes(f));
  if (widths.length === 0 || formats.length === 0) return null;
  return { hash: t.hash, width: t.width as number, height: t.height as number, widths, formats, from: String(t.from ?? '') };
}

/** URLs under the documents API: `/api/v1/documents/{id}/thumbnails/{hash}-{width}.{format}`. */
export function thumbnailLinks(documentId: number, record: ThumbnailRecord): ThumbnailLinks {
  const url = (width: number, format: ThumbnailFormat) => `/api/v1/documents/${documentId}/thumbnails/${nameOf(record.hash, width, format)}`;
  const srcset = (format: ThumbnailFormat) => record.widths.map((w) => `${url(w, format)} ${w}w`).join(', ');
  const fallback: ThumbnailFormat = record.formats.includes('webp') ? 'webp' : (record.formats[0] as ThumbnailFormat);
  return {
    width: record.width,
    height: record.height,
    src: url(record.widths[0] as number, fallback),
    sources: record.formats.map((format) => ({ type: THUMBNAIL_MEDIA_TYPES[format], srcset: srcset(format) })),
  };
}

/** The stored variant a URL name points at, if the name is one the record lists (else undefined: a 404). */
export async function openThumbnail(
  blobs: BlobStore,
  sha256: string,
  record: ThumbnailRecord,
  name: string,
): Promise<{ body: Readable; type: string; etag: string } | undefined> {
  const match = NAME.exec(name);
  if (!match || match[1] !== record.hash) return undefined;
  const width = Number(match[2]);
  const format = match[3] as ThumbnailFormat;
  if (!record.widths.includes(width) || !record.formats.includes(format)) return undefined;
  const key = keyOf(sha256, name);
  if (!(await blobs.stat(key))) return undefined;
  return { body: await blobs.get(key), type: THUMBNAIL_MEDIA_TYPES[format], etag: `"${name}"` };
}
