// The gateway's OpenAPI 3.1 document (`authgate openapi`): the app `start` would serve, built with @fastify/swagger
// registered first, readied offline (cli/offline-build.ts) and never listened on. The plugin's routes document themselves; the gateway's own
// (forward-auth, health, metrics) get their schemas here, as they are registered; every other route (the proxied
// prefixes, the refusal routes, the demo files) is left out: what lies behind a prefix is its upstream's API. The
// prefixes are listed, with their policy, in `x-authgate-routes`.
import swagger from '@fastify/swagger'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { openApiBearerErrors, openApiErrorBody, openApiSecuritySchemes, openApiTags } from '@authgate/fastify/proxy'
import { buildOffline } from './cli/offline-build.js'
import type { GatewayConfig } from './config.js'
import { GATEWAY_ERRORS, type GatewayErrorCode } from './errors.js'

export interface OpenApiDocument {
  openapi: string
  info: { title: string, version: string, description?: string }
  paths: Record<string, Record<string, unknown>>
  components?: Record<string, unknown>
  [extension: `x-${string}`]: unknown
}

const NO_SECURITY: never[] = []

function gatewayError (code: GatewayErrorCode): Record<string, unknown> {
  return openApiErrorBody(GATEWAY_ERRORS[code].statusCode, [code], GATEWAY_ERRORS[code].message)
}

/** Schemas of the gateway's own routes, by URL (health.ts, forward-auth.ts). */
function ownRouteSchemas (config: GatewayConfig): Map<string, Record<string, unknown>> {
  const schemas = new Map<string, Record<string, unknown>>()
  const { userId, roles, sessionId, assertion } = config.headers
  if (config.verifyPath !== false) {
    const identity = { type: 'string', description: 'Set for an authenticated request only' }
    schemas.set(config.verifyPath, {
      tags: ['forward-auth'],
      summary: 'Forward-auth check (nginx auth_request, Traefik ForwardAuth)',
      description: 'Judges the request\'s Authorization against the policy of the route covering the original URI ' +
        '(X-Forwarded-Uri or X-Original-URI). Only trusted proxies (server.trustProxy) may ask. A URI no route covers is 403.',
      // The bearer token is optional: a route with `auth: none` passes without one.
      security: [{ bearerAuth: [] }, {}],
      headers: {
        type: 'object',
        properties: {
          'x-forwarded-uri': { type: 'string', description: 'The original request target (Traefik)' },
          'x-original-uri': { type: 'string', description: 'The original request target (nginx); equal to X-Forwarded-Uri when both are sent' },
          'x-forwarded-method': { type: 'string', description: 'The original method' }
        }
      },
      response: {
        200: {
          description: 'Allowed; the identity headers to forward (none for an anonymous request)',
          type: 'null',
          headers: { [userId]: identity, [roles]: identity, [sessionId]: identity, [assertion]: identity }
        },
        400: gatewayError('GATEWAY_BAD_REQUEST'),
        // What the plugin's authenticator answers, as on its own Bearer routes.
        401: openApiErrorBody(401, openApiBearerErrors[401], 'Not authenticated'),
        403: openApiErrorBody(403, ['AUTH_FORBIDDEN'], 'Refused: roles, or no route covers the URI'),
        503: openApiErrorBody(503, openApiBearerErrors[503], 'A backend is unavailable')
      }
    })
  }
  const status = (value: string): Record<string, unknown> => ({ type: 'object', required: ['status'], properties: { status: { type: 'string', enum: [value] } } })
  schemas.set('/healthz', { tags: ['operations'], summary: 'The process answers', security: NO_SECURITY, response: { 200: { description: 'Up', ...status('ok') } } })
  schemas.set('/readyz', {
    tags: ['operations'],
    summary: 'The session store answers',
    security: NO_SECURITY,
    response: {
      200: { description: 'Ready', ...status('ready') },
      503: {
        description: 'The store does not answer',
        type: 'object',
        required: ['status', 'code'],
        properties: { status: { type: 'string', enum: ['unavailable'] }, code: { type: 'string', enum: ['AUTH_STORE_UNAVAILABLE'] } }
      }
    }
  })
  schemas.set('/metrics', {
    tags: ['operations'],
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    security: NO_SECURITY,
    produces: ['text/plain'],
    response: { 200: { description: 'The metrics', type: 'string' } }
  })
  return schemas
}

/** The proxied prefixes and their policy: what the document does not describe as operations. */
function proxiedRoutes (config: GatewayConfig): Array<{ prefix: string, auth: string, roles: readonly string[] }> {
  return config.routes.map((route) => ({ prefix: route.prefix, auth: route.auth, roles: route.roles }))
}

/** The document of the gateway `config` describes: built and readied (so its hooks ran), never listened on. */
export async function gatewayDocument (config: GatewayConfig, version: string): Promise<OpenApiDocument> {
  const own = ownRouteSchemas(config)
  const proxied = proxiedRoutes(config)
  const prepare = async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRoute', (route: RouteOptions) => {
      const schema = own.get(route.url)
      if (schema !== undefined) {
        route.schema = { ...route.schema, ...schema }
        return
      }
      // The plugin's routes carry tags; anything else the gateway registers is not an operation of its API.
      if ((route.schema as { tags?: unknown } | undefined)?.tags === undefined) route.schema = { ...route.schema, hide: true }
    })
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'authgate gateway',
          version,
          description: 'The gateway\'s own endpoints. Requests under the proxied prefixes (x-authgate-routes) go to ' +
            `their upstreams, authenticated as each route's policy says: ${proxied.map((route) => `${route.prefix} (${route.auth})`).join(', ') || 'none'}.`
        },
        ...(config.server.publicOrigin === undefined ? {} : { servers: [{ url: config.server.publicOrigin }] }),
        tags: [...openApiTags, { name: 'forward-auth', description: 'For a proxy that stays in front' }, { name: 'operations', description: 'Health and metrics' }],
        components: { securitySchemes: { ...openApiSecuritySchemes } }
      }
    })
  }
  // @fastify/swagger documents a ready app only.
  const document = await buildOffline(config, { prepare, ready: (app) => app.swagger() as unknown as OpenApiDocument })
  if (document === undefined) throw new Error('authgate openapi: the app made no document')
  return { ...document, 'x-authgate-routes': proxied }
}
