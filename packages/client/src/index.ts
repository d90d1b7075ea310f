// @authgate/client: keeps the access token in memory, attaches it as Bearer, refreshes once on a token 401, retries.
// No module of this package may be named client.ts: the gateway serves dist/index.js as /demo/client.js, where an
// import of './client.js' would resolve to itself. The other dist/*.js modules are served next to it.
export { createAuthClient, DEFAULT_AUTH_PREFIX, DEFAULT_REFRESH_SKEW_SECONDS } from './create-client.js'
export { createMemoryCookieJar, type CookieJar } from './cookie-jar.js'
export { AuthClientError, type AuthClientErrorCode } from './errors.js'
export { TOKEN_ERROR_CODES } from './parse.js'
export { MAX_UNPRODUCTIVE_REFRESHES } from './refresher.js'
export type {
  AuthClient, AuthClientEventName, AuthClientEvents, AuthClientListener, AuthClientOptions, AuthUser, FetchLike,
  LoginResult, MeResult, SessionInfo
} from './types.js'
