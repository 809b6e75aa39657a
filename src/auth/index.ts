export { ApiKeyService, generateKey, hashKey, type ApiKeyInfo, type AuthContext } from './api-keys.ts';
export { SCOPES, allows, isScope, parseScopes, stricterScope, type Scope } from './scopes.ts';
