export { adviseIndexes } from './advise.ts';
export type { AdviceReport, AdviseOptions, IndexSuggestion } from './advise.ts';
