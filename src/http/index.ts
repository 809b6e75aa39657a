export { buildServer, type App, type RoutePlugin, type ServerOptions } from './server.ts';
export type { ReadinessCheck, ReadinessReport } from './health.ts';
export { readinessReport } from './health.ts';
export { apiKeyAdminRoutes } from './admin-keys.ts';
export { PROBLEM_CONTENT_TYPE, problemFor, sendProblem, toAiStackError, type ProblemDetails, type ErrorTranslator } from './problem.ts';
export { CSRF_HEADER, csrfRefusal, ownOrigin, sessionContext, type SessionVerifier } from './auth.ts';
