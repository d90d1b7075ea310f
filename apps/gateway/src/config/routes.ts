// `routes:` of the gateway configuration, after the schema: the rules that span keys (reserved prefixes, duplicates)
// and milliseconds. `auth` and `roles` are checked by the plugin's route policy module (the rules it enforces).
import { compileRoutePolicy, isForwardableRole, parseDuration, type RoutePolicy, type RoutePolicyInput } from '@authgate/fastify'
import type { Reader } from './reader.js'
import { ConfigError, type RouteAuth, type RouteConfig } from './types.js'

// A prefix is plain path segments: whatever the normaliser would refuse or rewrite can never match, so refuse it here.
const PREFIX = /^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@-]+(?:\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*)?$/
/** Paths the gateway answers itself. The auth prefix is checked separately. */
export const RESERVED_PREFIXES = ['/healthz', '/readyz', '/metrics', '/_authgate', '/.well-known']

function overlaps (prefix: string, reserved: string): boolean {
  return prefix === reserved || prefix.startsWith(`${reserved}/`)
}

interface RouteInput {
  prefix: string
  upstream: string
  auth: RouteAuth
  roles: string[]
  timeout: string | number
  websocket: boolean
  rewritePrefix?: string
  forwardAuthorization: boolean
  maxConcurrent: number
}

/**
 * `auth` and `roles` as the file wrote them (the schema's filled defaults would hide an absent `auth`), checked by the
 * route policy itself; absent auth: `required`.
 */
function readPolicy (reader: Reader, given: unknown, path: string): RoutePolicy {
  const written = (typeof given === 'object' && given !== null ? given : {}) as { auth?: unknown, roles?: unknown }
  // YAML writes an empty key as null: absent, as everywhere else in the file.
  const input = { auth: written.auth ?? undefined, roles: written.roles ?? undefined } as RoutePolicyInput
  try {
    return compileRoutePolicy(input, { defaultAuth: 'required', pathOf: (key) => `${path}.${key}` })
  } catch (error) {
    throw new ConfigError(`${reader.where}: ${(error as Error).message}`)
  }
}

function readRoute (reader: Reader, route: RouteInput, given: unknown, path: string, authPrefix: string): RouteConfig {
  const { prefix } = route
  if (!PREFIX.test(prefix) || prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    reader.fail(`${path}.prefix`, 'must be a path like /api (plain segments, no trailing slash, no dot segments)')
  }
  for (const reserved of [...RESERVED_PREFIXES, authPrefix]) {
    if (overlaps(prefix, reserved)) reader.fail(`${path}.prefix`, `must not be ${reserved} or under it: the gateway answers there itself`)
  }
  const { mode: auth, roles } = readPolicy(reader, given, path)
  // The gateway's own limit on top of the policy's: a role a forwarded roles header cannot carry is never in a token it admits.
  roles.forEach((role, index) => { if (!isForwardableRole(role)) reader.fail(`${path}.roles[${index}]`, 'must be a role name headers can carry (printable ASCII, no commas or spaces, at most 128 characters)') })
  const { rewritePrefix } = route
  if (rewritePrefix !== undefined && !(rewritePrefix === '/' || PREFIX.test(rewritePrefix))) {
    reader.fail(`${path}.rewritePrefix`, 'must be a path like / or /v1')
  }
  return Object.freeze({
    prefix,
    upstream: reader.httpUrl(route.upstream, `${path}.upstream`),
    auth,
    roles: Object.freeze([...roles]),
    timeoutMs: parseDuration(route.timeout, `${path}.timeout`),
    websocket: route.websocket,
    rewritePrefix,
    forwardAuthorization: route.forwardAuthorization,
    maxConcurrent: route.maxConcurrent
  })
}

/** `routes` after the schema (defaults filled); `given` is the file's own list, to tell an explicit auth from a default. */
export function readRoutes (reader: Reader, value: readonly RouteInput[] | undefined, given: unknown, authPrefix: string): readonly RouteConfig[] {
  if (value === undefined) return reader.fail('routes', 'is required (a list of { prefix, upstream, auth })')
  const routes = value.map((item, index) => readRoute(reader, item, Array.isArray(given) ? given[index] : undefined, `routes[${index}]`, authPrefix))
  const seen = new Set<string>()
  routes.forEach((route, index) => {
    if (seen.has(route.prefix)) reader.fail(`routes[${index}].prefix`, `${route.prefix} is listed twice`)
    seen.add(route.prefix)
  })
  return Object.freeze(routes)
}
