/** As the documents API returns it: ready-made `srcset` strings, most compact format first. */
export interface ThumbnailLinks {
  width: number;
  height: number;
  src: string;
  sources: { type: string; srcset: string }[];
}

/**
 * A document's thumbnail: AVIF where the browser takes it, else WebP, the width picked by the browser from
 * `sizes`. Width and height reserve the box before the bytes arrive (no layout shift); `lazy` defers images
 * below the fold until they are scrolled near.
 */
export function Thumbnail({ thumb, width, sizes, lazy, alt }: { thumb: ThumbnailLinks; width: number; sizes: string; lazy: boolean; alt: string }) {
  const height = Math.max(1, Math.round((width * thumb.height) / Math.max(1, thumb.width)));
  const webp = thumb.sources.find((s) => s.type === 'image/webp');
  return (
    <picture>
      {thumb.sources
        .filter((s) => s !== webp)
        .map((s) => (
          <source key={s.type} type={s.type} srcset={s.srcset} sizes={sizes} />
        ))}
      <img
        class="thumb"
        src={thumb.src}
        srcset={webp?.srcset}
        sizes={sizes}
        width={width}
        height={height}
        loading={lazy ? 'lazy' : 'eager'}
        decoding="async"
        alt={alt}
      />
    </picture>
  );
}
