export { adviseIndexes } from './advise.ts';
export type { AdviceReport, AdviseOptions, IndexSuggestion } from './advise.ts';
export { adviseSlowQueries } from './workload.ts';
export type { SlowQueryAdvice, WorkloadAdvice, WorkloadIndex } from './workload.ts';
export { indexHealth } from './index-health.ts';
export type { IndexHealthReport } from './index-health.ts';
