// `routes:` of the gateway configuration, after the schema: the rules that span keys (reserved prefixes, duplicates,
// roles needing auth: required) and milliseconds.
import { isForwardableRole, parseDuration } from '@authgate/fastify'
import type { Reader } from './reader.js'
import type { RouteAuth, RouteConfig } from './types.js'

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

function readRoute (reader: Reader, route: RouteInput, given: unknown, path: string, authPrefix: string): RouteConfig {
  const { prefix } = route
  if (!PREFIX.test(prefix) || prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    reader.fail(`${path}.prefix`, 'must be a path like /api (plain segments, no trailing slash, no dot segments)')
  }
  for (const reserved of [...RESERVED_PREFIXES, authPrefix]) {
    if (overlaps(prefix, reserved)) reader.fail(`${path}.prefix`, `must not be ${reserved} or under it: the gateway answers there itself`)
  }
  route.roles.forEach((role, index) => { if (!isForwardableRole(role)) reader.fail(`${path}.roles[${index}]`, 'must be a role name headers can carry (printable ASCII, no commas or spaces, at most 128 characters)') })
  // The schema filled auth's default (required); a route that names roles and another mode is a contradiction.
  const explicitAuth = (given as { auth?: unknown } | undefined)?.auth
  if (route.roles.length > 0 && route.auth !== 'required' && explicitAuth !== undefined) reader.fail(`${path}.roles`, `needs auth: required (got auth: ${route.auth})`)
  const { rewritePrefix } = route
  if (rewritePrefix !== undefined && !(rewritePrefix === '/' || PREFIX.test(rewritePrefix))) {
    reader.fail(`${path}.rewritePrefix`, 'must be a path like / or /v1')
  }
  return Object.freeze({
    prefix,
    upstream: reader.httpUrl(route.upstream, `${path}.upstream`),
    auth: route.roles.length > 0 ? 'required' : route.auth,
    roles: Object.freeze([...route.roles]),
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
