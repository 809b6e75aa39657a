export { sharedTypeParsers, parseInt8, parseNumeric, parseTimestamp } from './type-parsers.ts';
