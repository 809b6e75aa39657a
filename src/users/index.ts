export { UserService, ROLES, isRole, DEFAULT_LOCKOUT, type UserInfo, type LockoutPolicy, type LoginOutcome } from './user-service.ts';
export { SessionService, SESSION_TTL_MS, type Session } from './session-service.ts';
export { authRoutes, userAdminRoutes, sessionVerifier, SESSION_COOKIE, type AuthRoutesOptions } from './routes.ts';
export { MIN_PASSWORD_LENGTH } from './password.ts';
