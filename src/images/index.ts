// ai-stack/images: thumbnails of images and of a PDF's first page (sharp and poppler). This file is the module's whole public face.
export {
  makeThumbnails,
  MAX_INPUT_PIXELS,
  THUMBNAIL_FORMATS,
  THUMBNAIL_WIDTHS,
  THUMBNAIL_MEDIA_TYPES,
  type ThumbnailFormat,
  type ThumbnailVariant,
  type Thumbnails,
  type ThumbnailOptions,
} from './thumbnails.ts';
export { parsePpm, rasterizeFirstPage, type RasterImage, type RasterOptions } from './pdf.ts';
export { UnreadableImageError } from './errors.ts';
