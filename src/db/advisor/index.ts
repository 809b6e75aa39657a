export { adviseIndexes, adviseSlowQueries } from './advise.ts';
export type { AdviceReport, AdviseOptions, IndexSuggestion, SlowQueryAdvice } from './advise.ts';
export { indexHealth } from './index-health.ts';
export type { IndexHealthReport } from './index-health.ts';
