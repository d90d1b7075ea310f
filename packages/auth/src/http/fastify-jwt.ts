// @fastify/jwt registered with authgate's current signing key, for applications that want `request.jwtVerify()`
// (it accepts authgate access tokens, with authgate's checks) or `app.jwt.sign` for tokens of their own.
//
// authgate's own authentication does not go through it: @fastify/jwt verifies in an async hook with per-request
// option handling, which costs 30–70 µs per request against ≈ 3 µs for a cached synchronous fast-jwt verifier
// built once (docs/benchmarks.md#early-measurements); it knows one key rather than a key set selected by `kid`; and it
// passes several fast-jwt errors through unmapped (a malformed ES256 signature, a wrong `typ` or `alg`, `nbf`…), which
// Fastify answers with a 500 carrying fast-jwt's text. So `request.jwtVerify()` first runs authgate's authenticator in
// `extractToken` and throws its AuthError (401/503 with an AUTH_* code); only a token that passed, signed with the
// current signing key, reaches @fastify/jwt's own verification, which then cannot fail in an unmapped way.
import type { FastifyJWTOptions } from '@fastify/jwt'
import { createAuthenticator, readBearerToken, type Authenticator } from './authenticate.js'
import { AuthError } from '../errors.js'
import { ACCESS_TYP, canonicalHeaderSegment } from '../tokens/header.js'
import { normaliseTokenOptions } from '../tokens/options.js'
import { createAccessTokenService } from '../tokens/service.js'
import type { TokenOptions } from '../tokens/types.js'

/** Request decorator @fastify/jwt writes verified payloads to: `request.user` belongs to authgate. */
export const FASTIFY_JWT_DECORATOR = 'jwtPayload'

/**
 * Options for `app.register(fastifyJwt, …)`. Pass the plugin's `authenticate` so that `request.jwtVerify()` also
 * honours revocations; without it, a private authenticator (no revocation list) is built from `options`.
 */
export function fastifyJwtOptions (options: TokenOptions, authenticate?: Authenticator['authenticate']): FastifyJWTOptions {
  const normalised = normaliseTokenOptions(options)
  const key = normalised.signing
  if (key?.signKey === undefined) throw new Error('fastifyJwtOptions: tokens.keys holds no signing key')
  const check = authenticate ?? createAuthenticator({ tokens: createAccessTokenService(options) }).authenticate
  const signingPrefix = `${canonicalHeaderSegment(key, ACCESS_TYP)}.`

  return {
    secret: Buffer.isBuffer(key.signKey) ? key.signKey : { private: key.signKey, public: key.verifyKey },
    decoratorName: FASTIFY_JWT_DECORATOR,
    sign: {
      algorithm: key.algorithm,
      kid: key.kid,
      // No `typ: at+jwt`: whatever an application signs through app.jwt.sign (typ JWT) can never pass for an access
      // token (docs/security.md A.17). Access tokens are minted by `app.authgate.tokens.sign` only.
      iss: normalised.issuer,
      aud: normalised.audience,
      // @fastify/jwt reads numbers as seconds here (and for maxAge), unlike fast-jwt.
      expiresIn: normalised.accessTtl
    },
    verify: {
      algorithms: [key.algorithm],
      allowedIss: normalised.issuer,
      allowedAud: normalised.audience,
      checkTyp: ACCESS_TYP,
      requiredClaims: ['sub', 'sid', 'exp', 'iat', 'iss', 'aud', 'jti'],
      maxAge: normalised.maxTtl + normalised.clockTolerance,
      clockTolerance: normalised.clockTolerance * 1000,
      // @fastify/jwt's default caches failures for ten minutes; failures are judged afresh instead.
      errorCacheTTL: () => -(normalised.clockTolerance * 1000 + 1),
      // Header only, never a cookie or the query string (RFC 9700, docs/security.md A.21).
      extractToken (request) {
        const outcome = check(request.headers, request.raw.rawHeaders)
        if (!outcome.ok) throw outcome.error
        const token = readBearerToken(request.headers.authorization)
        // Tokens of retired keys are valid for authgate but unknown to @fastify/jwt's single key: refuse them here
        // (the client refreshes) rather than let @fastify/jwt fail on them in an unmapped way.
        if (typeof token !== 'string' || !token.startsWith(signingPrefix)) throw new AuthError('AUTH_TOKEN_INVALID')
        return token
      }
    }
  }
}
