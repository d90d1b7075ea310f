// OpenAPI documentation of the auth routes (read by @fastify/swagger when an application registers it). Response
// schemas are also what Fastify serializes with (fast-json-stringify drops members a schema does not list and
// coerces types), so each one states exactly what its route sends: test/openapi-document.test.ts compares every
// serialized answer of a run with the object the route handed over.
import type { FastifySchema } from 'fastify'
import type { AuthErrorCode } from '../../errors.js'

/** The name of the bearer security scheme the Bearer routes require (`components.securitySchemes`). */
export const BEARER_SCHEME = 'bearerAuth'

/** What an application adds to @fastify/swagger's `openapi.components.securitySchemes`. */
export const openApiSecuritySchemes = {
  [BEARER_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `accessToken` of the login and refresh answers (POST …/login, POST …/refresh)'
  }
} as const

interface SwaggerTransformInput {
  schema: unknown
  openapiObject: { components?: { securitySchemes?: Record<string, unknown> } }
}

/**
 * `config.swaggerTransform` of the Bearer routes (@fastify/swagger ≥ 9 calls it while building the document): adds
 * the bearer scheme when the application did not declare one of that name, since @fastify/swagger fails on a route
 * whose `security` names an undeclared scheme. A route-level transform replaces the application-wide `transform`
 * for these routes; their schemas are plain JSON Schema and need none.
 */
export function addBearerScheme ({ schema, openapiObject }: SwaggerTransformInput): { schema: unknown } {
  const components = openapiObject.components ??= {}
  const schemes = components.securitySchemes ??= {}
  schemes[BEARER_SCHEME] ??= { ...openApiSecuritySchemes[BEARER_SCHEME] }
  return { schema }
}

/**
 * A Bearer route's `config` with addBearerScheme as its swaggerTransform. Kept out of the returned type: an
 * application's @fastify/swagger types declare that member with their own types.
 */
export function withBearerScheme<T extends object> (config: T): T {
  return Object.assign({ swaggerTransform: addBearerScheme }, config)
}

/** The tags the auth routes carry, with what they group, for @fastify/swagger's `openapi.tags`. */
export const openApiTags = [
  { name: 'auth', description: 'Sign-in, sign-out and the rotating refresh cookie' },
  { name: 'sessions', description: 'The signed-in user and their sessions (Bearer)' },
  { name: 'account', description: 'Password reset and change, email verification' },
  { name: 'oidc', description: 'Sign-in through OpenID Connect providers' },
  { name: 'keys', description: 'The public keys that verify access tokens' },
  { name: 'admin', description: 'Users and their sessions, for holders of an admin.roles role (Bearer)' }
] as const

/** Route-level `security`: a Bearer route, and one that takes no bearer token (overrides a global requirement). */
export const BEARER_SECURITY = [{ [BEARER_SCHEME]: [] }]
export const NO_SECURITY: ReadonlyArray<Record<string, readonly string[]>> = []

/** The code of an unexpected failure (http/routes/error-handler.ts): never an AUTH_ERRORS entry. */
type ErrorBodyCode = AuthErrorCode | 'AUTH_INTERNAL'

/**
 * The error body every auth route answers with (AuthError.toJSON, http/routes/error-handler.ts), its codes listed.
 * Exported (openApiErrorBody) for an application that answers the same body from its own routes (the gateway's
 * forward-auth): its codes are its own, hence plain strings here; errorResponses keeps the plugin's typed.
 */
export function errorBody (status: number, codes: readonly string[], description: string): Record<string, unknown> {
  return {
    description: `${description} (${codes.join(', ')})`,
    type: 'object',
    required: ['statusCode', 'code', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer', enum: [status] },
      code: { type: 'string', enum: [...codes] },
      error: { type: 'string', description: 'The status text' },
      message: { type: 'string', description: 'For people; clients branch on `code`' }
    }
  }
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed request', 401: 'Not authenticated', 403: 'Refused', 404: 'Not found', 409: 'Conflict',
  413: 'Body too large', 415: 'Unsupported content type', 429: 'Too many requests (Retry-After says when to retry)',
  500: 'Unexpected failure', 503: 'A backend is unavailable (Retry-After says when to retry)'
}

/** Error responses by status, each with the codes the route answers with it. */
export function errorResponses (byStatus: Readonly<Record<number, readonly ErrorBodyCode[]>>): Record<string, unknown> {
  const responses: Record<string, unknown> = {}
  for (const [status, codes] of Object.entries(byStatus)) {
    responses[status] = errorBody(Number(status), codes, ERROR_TEXT[Number(status)] ?? 'Error')
  }
  return responses
}

/** The statuses Fastify itself answers on a route that reads a JSON body (bad JSON, too large, wrong type). */
export const BODY_ERRORS = { 400: ['AUTH_BAD_REQUEST'], 413: ['AUTH_BAD_REQUEST'], 415: ['AUTH_BAD_REQUEST'] } as const
/** What the plugin's onRequest hook answers on a Bearer route (http/authenticate.ts). */
export const BEARER_ERRORS = {
  401: ['AUTH_TOKEN_MISSING', 'AUTH_TOKEN_INVALID', 'AUTH_TOKEN_EXPIRED', 'AUTH_SESSION_REVOKED'],
  503: ['AUTH_KEYS_UNAVAILABLE', 'AUTH_STORE_UNAVAILABLE']
} as const
export const INTERNAL_ERROR = { 500: ['AUTH_INTERNAL'] } as const
export const RATE_LIMITED = { 429: ['AUTH_RATE_LIMITED'] } as const

/** A response without a body (204, redirects); `headers` are documentation only. */
export function noBody (description: string, headers?: Record<string, { type: 'string', description: string }>): Record<string, unknown> {
  return { description, type: 'null', ...(headers === undefined ? {} : { headers }) }
}

const user = {
  type: 'object',
  // Not `email`: a session written by an older version may have none, and fast-json-stringify throws on a missing
  // required member, after the refresh token was rotated (the client would lose its session to a 500).
  required: ['id', 'roles'],
  properties: {
    id: { type: 'string' },
    email: { type: ['string', 'null'], description: 'null when the user source knows none' },
    roles: { type: 'array', items: { type: 'string' } },
    emailVerified: { type: 'boolean', description: 'Built-in users only: whether the email was verified' }
  }
} as const

/** POST /login, POST /refresh (http/routes/context.ts sendSession); the refresh token travels in the cookie only. */
export const sessionAnswer = {
  description: 'Signed in: the access token here, the refresh token in the HttpOnly refresh cookie (Set-Cookie)',
  type: 'object',
  required: ['accessToken', 'tokenType', 'expiresIn', 'user'],
  properties: {
    accessToken: { type: 'string', description: 'Send as `Authorization: Bearer <accessToken>`' },
    tokenType: { type: 'string', enum: ['Bearer'] },
    expiresIn: { type: 'integer', description: 'Seconds until the access token expires' },
    user
  }
} as const

/** POST /register. */
export const registeredAnswer = {
  description: 'The account was created (no session: sign in next)',
  type: 'object',
  required: ['user'],
  properties: {
    user: { ...user, required: ['id', 'email', 'roles'], properties: { ...user.properties, email: { type: 'string' } } }
  }
} as const

/** GET /sessions: the user's live sessions (bearer.ts). */
export const sessionList = {
  description: 'The live sessions of the user, newest first; `x-next-cursor` and `link` name the next page',
  type: 'array',
  items: {
    type: 'object',
    // Only what the handler computes is required: fast-json-stringify throws on a missing required member, and a
    // record written by an older version may lack one (it is then left out, as JSON.stringify would).
    required: ['id', 'createdAt', 'lastUsedAt', 'current'],
    properties: {
      id: { type: 'string' },
      device: { type: ['string', 'null'], description: 'An opaque id of the browser (not its cookie)' },
      // A record may hold null (a request without a user agent, a store's own writer): null stays null, not ''.
      ip: { type: ['string', 'null'] },
      userAgent: { type: ['string', 'null'] },
      client: {
        type: 'object',
        description: 'The user agent made readable (parsed once per distinct agent; null where it says nothing)',
        required: ['browser', 'os', 'deviceType'],
        additionalProperties: false,
        properties: {
          browser: { type: ['string', 'null'], description: 'e.g. `Chrome 130`' },
          os: { type: ['string', 'null'], description: 'e.g. `iOS 17.1`' },
          deviceType: { type: ['string', 'null'], description: '`desktop`, `mobile`, `tablet`, `tv` or `bot`' }
        }
      },
      createdAt: { type: 'string', format: 'date-time' },
      lastUsedAt: { type: 'string', format: 'date-time' },
      current: { type: 'boolean', description: 'The session of the presented access token' }
    }
  }
} as const

/**
 * GET /me. `claims` are the verified token's: a trusted issuer's token adds the simple claims it carries
 * (tokens/trusted-issuers/extra-claims.ts), hence additionalProperties (serialized as they are, never dropped).
 */
export const meAnswer = {
  description: 'The signed-in user (from the store when it answers, else from the token) and the token\'s claims',
  type: 'object',
  required: ['user', 'claims'],
  properties: {
    user,
    claims: {
      type: 'object',
      required: ['sub', 'sid', 'roles', 'iat', 'exp', 'iss', 'aud', 'jti'],
      additionalProperties: true,
      properties: {
        sub: { type: 'string' },
        sid: { type: 'string', description: 'Empty for a trusted external issuer\'s token' },
        roles: { type: 'array', items: { type: 'string' } },
        iat: { type: 'number' },
        exp: { type: 'number' },
        iss: { type: 'string' },
        aud: { type: 'string' },
        jti: { type: 'string' },
        email: { type: 'string' },
        name: { type: 'string' }
      }
    }
  }
} as const

/** GET /oidc/providers. */
export const providerList = {
  description: 'The configured OpenID Connect providers and where each sign-in starts',
  type: 'object',
  required: ['providers'],
  properties: {
    providers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'login'],
        properties: { name: { type: 'string' }, login: { type: 'string', description: 'Path of GET …/oidc/{provider}/login' } }
      }
    }
  }
} as const

/** The JWKS route (plugin.ts): public keys as JWKs, whose members depend on the key type (hence kept whole). */
export const jwksAnswer = {
  description: 'The public keys (JWK Set, RFC 7517) that verify the access tokens; empty while keys are not loaded',
  type: 'object',
  required: ['keys'],
  properties: {
    keys: { type: 'array', items: { type: 'object', additionalProperties: true, required: ['kty', 'kid'] } }
  }
} as const

/**
 * A route schema with the members @fastify/swagger reads. Typed here rather than by augmenting FastifySchema: an
 * application's own @fastify/swagger types declare the same members.
 */
export interface DocumentedSchema extends FastifySchema {
  tags?: readonly string[]
  summary?: string
  description?: string
  security?: ReadonlyArray<Record<string, readonly string[]>>
  hide?: boolean
}

export function documented (schema: DocumentedSchema): FastifySchema {
  return schema
}

/**
 * The 405 answers to other methods on the POST routes: real routes to Fastify, no operations of the API, so
 * @fastify/swagger leaves them out (`hide`).
 */
export const HIDDEN = documented({ hide: true })
