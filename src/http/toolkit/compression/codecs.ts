import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { Coding } from './negotiate.ts';

/** Levels meant for dynamic responses: Node's brotli default (11) runs at ~0.5 MB/s, these at ~60–100 MB/s. */
export interface CodecLevels {
  brotliQuality: number;
  gzipLevel: number;
  zstdLevel: number;
}

export const FAST_LEVELS: CodecLevels = { brotliQuality: 4, gzipLevel: 6, zstdLevel: 3 };

export interface Codec {
  sync(input: Buffer): Buffer;
  async(input: Buffer): Promise<Buffer>;
  stream(): Transform;
}

export function buildCodecs(levels: CodecLevels): Record<Coding, Codec> {
  const brotli: zlib.BrotliOptions = {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.brotliQuality, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT },
  };
  const gzip: zlib.ZlibOptions = { level: levels.gzipLevel };
  const zstd: zlib.ZstdOptions = { params: { [zlib.constants.ZSTD_c_compressionLevel]: levels.zstdLevel } };
  const brotliAsync = promisify(zlib.brotliCompress);
  const gzipAsync = promisify(zlib.gzip);
  const zstdAsync = promisify(zlib.zstdCompress);
  return {
    br: {
      sync: (input) => zlib.brotliCompressSync(input, brotli),
      async: (input) => brotliAsync(input, brotli),
      stream: () => zlib.createBrotliCompress(brotli),
    },
    gzip: {
      sync: (input) => zlib.gzipSync(input, gzip),
      async: (input) => gzipAsync(input, gzip),
      stream: () => zlib.createGzip(gzip),
    },
    zstd: {
      sync: (input) => zlib.zstdCompressSync(input, zstd),
      async: (input) => zstdAsync(input, zstd),
      stream: () => zlib.createZstdCompress(zstd),
    },
  };
}
