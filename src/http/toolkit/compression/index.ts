export { compressionPlugin, negotiatedCoding, type CompressionOptions } from './plugin.ts';
export { negotiateEncoding, parseAcceptEncoding, DEFAULT_PREFERENCE, type Coding, type Negotiated } from './negotiate.ts';
export { FAST_LEVELS, type CodecLevels } from './codecs.ts';
