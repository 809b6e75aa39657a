export { paginate } from './array.ts';
export { paginateSource, type OffsetRequest, type KeysetRequest, type PageSource } from './paginate-source.ts';
export { createCursorCodec, type CursorCodec, type CursorPosition, type CursorValue } from './cursor.ts';
export { parseOffsetParams, parseKeysetParams, type OffsetParams, type KeysetParams, type PageLimits } from './params.ts';
export { setPageLinks, offsetLinks, keysetLinks } from './links.ts';
export type { OffsetPage, KeysetPage } from './pages.ts';
export type { KeysetSort } from './keyset-sort.ts';
