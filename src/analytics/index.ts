// ai-stack/analytics: forecasting and the semantic model (cubes, report definitions, pivots). This file is the public face.
export * from './forecast/index.ts';
export * from './semantic/index.ts';
export { analyticsRoutes, type AnalyticsRouteOptions } from './routes.ts';
