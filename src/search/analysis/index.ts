export { Analyzer, type AnalysisMode, type AnalyzerSettings, type Token } from './analyzer.ts';
export { normalize, originalSpan, type NormalizedText } from './normalize.ts';
