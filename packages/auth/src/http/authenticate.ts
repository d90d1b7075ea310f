// Request authentication for routes and for the gateway's hot path: the bearer token from the Authorization
// header, verified synchronously, then checked against the revocation list. Access tokens are read from the
// Authorization header only, never from the query string, a body or a cookie (RFC 6750 §2, RFC 9700).
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler, preHandlerHookHandler } from 'fastify'
import { AuthError } from '../errors.js'
import { createRoutePolicyLookup, type RoutePolicyLookup } from '../route-policy/index.js'
import type { AccessTokenService, RevocationList, VerifyOutcome } from '../tokens/types.js'
import './augmentation.js'

export type AuthOutcome = VerifyOutcome
export type AuthHeaders = IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>

export interface Authenticator {
  /**
   * Synchronous and never throws. `rawHeaders` (Node's `req.rawHeaders`), when given, lets it refuse a request
   * with several Authorization lines, which Node folds into the first one. Failures: 401 AUTH_TOKEN_MISSING (no
   * bearer credentials), AUTH_TOKEN_INVALID, AUTH_TOKEN_EXPIRED, AUTH_SESSION_REVOKED; 503 AUTH_KEYS_UNAVAILABLE, or
   * AUTH_STORE_UNAVAILABLE when the revocation list is stale past its fail-closed budget, or (for tokens with a
   * session) has not finished its first read yet.
   */
  authenticate: (headers: AuthHeaders, rawHeaders?: readonly string[]) => AuthOutcome
}

export interface AuthenticatorOptions {
  tokens: AccessTokenService
  /** Without one, a token stays valid until `exp` after its session is revoked (at most the access TTL). */
  revocations?: RevocationList
}

/**
 * RFC 6750 §2.1 b64token (`1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`). This runs before
 * authentication on attacker-chosen bytes, so its cost must stay linear whatever the value holds: anchored at both
 * ends, one character class then `=` (outside the class), the engine gives back at most the one run once
 * (pre-auth-linear.test.ts). A regular expression, not a loop over charCodeAt: on a token sliced from the header
 * (≈ 460 characters) the loop cost ≈ 3.5 µs per request, the expression ≈ 0.8 µs (docs/profiling.md, issue #18).
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

function isB64Token (value: string): boolean {
  return B64TOKEN.test(value)
}

/**
 * The bearer token of an Authorization header value: the token, `null` when there is no header, or an AuthError:
 * AUTH_TOKEN_MISSING for another scheme (`Basic …`) or an empty value (no bearer credentials were offered),
 * AUTH_TOKEN_INVALID for a malformed bearer value (`Bearer`, `Bearer  x`, characters outside b64token) or several
 * Authorization headers. The scheme is case-insensitive (RFC 7235 §2.1).
 */
export function readBearerToken (authorization: string | string[] | undefined): string | null | AuthError {
  let value: string
  if (authorization === undefined) return null
  if (Array.isArray(authorization)) {
    if (authorization.length === 0) return null
    if (authorization.length > 1) return new AuthError('AUTH_TOKEN_INVALID')
    value = authorization[0] ?? ''
  } else {
    value = authorization
  }
  const space = value.indexOf(' ')
  const scheme = space === -1 ? value : value.slice(0, space)
  if (scheme.length !== 6 || (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer')) {
    return new AuthError('AUTH_TOKEN_MISSING')
  }
  const token = space === -1 ? '' : value.slice(space + 1)
  if (!isB64Token(token)) return new AuthError('AUTH_TOKEN_INVALID')
  return token
}

function hasSeveralAuthorizations (rawHeaders: readonly string[]): boolean {
  let seen = 0
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]
    if (name !== undefined && name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return true
  }
  return false
}

export function createAuthenticator (options: AuthenticatorOptions): Authenticator {
  const { tokens, revocations } = options
  return {
    // An arrow property, not a method: callers pass `authenticator.authenticate` around unbound.
    authenticate: (headers, rawHeaders) => {
      if (rawHeaders !== undefined && hasSeveralAuthorizations(rawHeaders)) {
        return { ok: false, error: new AuthError('AUTH_TOKEN_INVALID') }
      }
      const token = readBearerToken(headers.authorization)
      if (token === null) return { ok: false, error: new AuthError('AUTH_TOKEN_MISSING') }
      if (typeof token !== 'string') return { ok: false, error: token }
      const outcome = tokens.verify(token)
      if (!outcome.ok || revocations === undefined) return outcome
      // Fail closed: a list that cannot reach its source might be missing the revocation of this very session.
      if (revocations.stale === true) return { ok: false, error: new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5 }) }
      if (revocations.isRevoked(outcome.claims.sid)) return { ok: false, error: new AuthError('AUTH_SESSION_REVOKED') }
      // A starting instance whose first poll is still reading: the session may have been revoked before it started.
      if (outcome.claims.sid !== '' && revocations.sessionsPending === true) return { ok: false, error: new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 1 }) }
      // A token without a session while the older subject revocations are still being read back: it might be one.
      if (outcome.claims.sid === '' && revocations.subjectsPending === true) return { ok: false, error: new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5 }) }
      // External tokens have no session: their user's logout-all revokes them by (iss, sub) and iat.
      if (revocations.isSubjectRevoked?.(outcome.claims) === true) return { ok: false, error: new AuthError('AUTH_SESSION_REVOKED') }
      return outcome
    }
  }
}

/** Answers with `error`: its status, its headers (WWW-Authenticate, Retry-After) and its JSON body. */
export function sendAuthError (reply: FastifyReply, error: AuthError): FastifyReply {
  return reply.code(error.statusCode).headers(error.headers()).send(error.toJSON())
}

/** Which of a route's compiled policies a hook enforces (route-policy/fastify-routes.ts). */
export type PolicyUse = 'hook' | 'guard'

/**
 * A hook enforcing each route's compiled policy: sets `request.user` (null when anonymous), answers 401/403/503
 * itself. The same function serves as the plugin's onRequest hook (`use: 'hook'`) and as `app.authenticate`
 * (`use: 'guard'`: a route that declares no policy requires a token there, whatever `defaultAuth` says).
 */
export function createPolicyHook (authenticator: Authenticator, lookup: RoutePolicyLookup, use: PolicyUse): onRequestHookHandler & preHandlerHookHandler {
  return function authgatePolicy (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const { config, url } = request.routeOptions
    const policy = lookup(config, url, request.log)[use]
    if (policy.isPublic) {
      done()
      return
    }
    const decision = policy.admit(authenticator.authenticate(request.headers, request.raw.rawHeaders))
    if (decision instanceof AuthError) {
      sendAuthError(reply, decision)
      return
    }
    // AuthgateClaims is augmented by the application for typing only; verified tokens carry the AccessClaims.
    request.user = decision
    done()
  }
}

/**
 * A preHandler honouring the route's `config: { auth, roles }` (auth defaults to 'required'): see createPolicyHook.
 * 'optional' lets a request without bearer credentials through as anonymous (unless the route names a rule such
 * as `roles`), but a bad token still gets 401 so the client knows to refresh.
 */
export function createAuthPreHandler (authenticator: Authenticator, lookup: RoutePolicyLookup = createRoutePolicyLookup('none')): preHandlerHookHandler {
  return createPolicyHook(authenticator, lookup, 'guard')
}
