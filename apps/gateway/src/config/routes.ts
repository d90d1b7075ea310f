// `routes:` of the gateway configuration: one entry per upstream prefix.
import { compileRoutePolicy, type RoutePolicy, type RoutePolicyInput } from '@authgate/fastify'
import { Reader, type Plain } from './reader.js'
import { ConfigError, type RouteConfig } from './types.js'
import { isForwardableRole } from '../identity-values.js'

const ROUTE_KEYS = ['prefix', 'upstream', 'auth', 'roles', 'timeout', 'websocket', 'rewritePrefix', 'forwardAuthorization', 'maxConcurrent'] as const
/**
 * Upstream requests one route may have in flight: its own slots in the upstream pool (the pool of an origin holds the
 * sum of its routes' slots), so a flood on one route never takes another route's connections. Half of the single
 * 128-connection pool all routes shared before.
 */
export const DEFAULT_MAX_CONCURRENT = 64
// A prefix is plain path segments: whatever the normaliser would refuse or rewrite can never match, so refuse it here.
const PREFIX = /^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@-]+(?:\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*)?$/
/** Paths the gateway answers itself. The auth prefix is checked separately. */
export const RESERVED_PREFIXES = ['/healthz', '/readyz', '/metrics', '/_authgate', '/.well-known']

function overlaps (prefix: string, reserved: string): boolean {
  return prefix === reserved || prefix.startsWith(`${reserved}/`)
}

/** `auth` and `roles`, checked by the route policy itself (the rules the gateway enforces), absent auth: `required`. */
function readPolicy (reader: Reader, route: Plain, path: string): RoutePolicy {
  // YAML writes an empty key as null: absent, as everywhere else in the file.
  const input = { auth: route.auth ?? undefined, roles: route.roles ?? undefined } as RoutePolicyInput
  try {
    return compileRoutePolicy(input, { defaultAuth: 'required', pathOf: (key) => `${path}.${key}` })
  } catch (error) {
    throw new ConfigError(`${reader.where}: ${(error as Error).message}`)
  }
}

function readRoute (reader: Reader, value: unknown, path: string, authPrefix: string): RouteConfig {
  const route = reader.object(value, path, ROUTE_KEYS)
  if (Object.keys(route).length === 0) reader.fail(path, 'must be an object with prefix and upstream')
  const prefix = reader.string(route.prefix, `${path}.prefix`)
  if (!PREFIX.test(prefix) || prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    reader.fail(`${path}.prefix`, 'must be a path like /api (plain segments, no trailing slash, no dot segments)')
  }
  for (const reserved of [...RESERVED_PREFIXES, authPrefix]) {
    if (overlaps(prefix, reserved)) reader.fail(`${path}.prefix`, `must not be ${reserved} or under it: the gateway answers there itself`)
  }
  const { mode: auth, roles } = readPolicy(reader, route, path)
  // The gateway's own limit on top of the policy's: a role a forwarded roles header cannot carry is never in a token it admits.
  roles.forEach((role, index) => { if (!isForwardableRole(role)) reader.fail(`${path}.roles[${index}]`, 'must be a role name headers can carry (printable ASCII, no commas or spaces, at most 128 characters)') })
  const rewritePrefix = reader.optionalString(route.rewritePrefix, `${path}.rewritePrefix`)
  if (rewritePrefix !== undefined && !(rewritePrefix === '/' || PREFIX.test(rewritePrefix))) {
    reader.fail(`${path}.rewritePrefix`, 'must be a path like / or /v1')
  }
  return Object.freeze({
    prefix,
    upstream: reader.httpUrl(route.upstream, `${path}.upstream`),
    auth,
    roles: Object.freeze(roles),
    timeoutMs: reader.duration(route.timeout, `${path}.timeout`, '30s', 100, 3_600_000),
    websocket: reader.boolean(route.websocket, `${path}.websocket`, false),
    rewritePrefix,
    forwardAuthorization: reader.boolean(route.forwardAuthorization, `${path}.forwardAuthorization`, false),
    maxConcurrent: reader.integer(route.maxConcurrent, `${path}.maxConcurrent`, DEFAULT_MAX_CONCURRENT, 1, 4096)
  })
}

export function readRoutes (reader: Reader, value: unknown, authPrefix: string): readonly RouteConfig[] {
  if (value === undefined || value === null) reader.fail('routes', 'is required (a list of { prefix, upstream, auth })')
  if (!Array.isArray(value)) reader.fail('routes', 'must be a list')
  const routes = value.map((item: unknown, index) => readRoute(reader, item, `routes[${index}]`, authPrefix))
  const seen = new Set<string>()
  routes.forEach((route, index) => {
    if (seen.has(route.prefix)) reader.fail(`routes[${index}].prefix`, `${route.prefix} is listed twice`)
    seen.add(route.prefix)
  })
  return Object.freeze(routes)
}
