// `routes:` of the gateway configuration, after the schema (which checks each path's form): dot segments, the rules
// that span keys (reserved prefixes, duplicates) and milliseconds. `auth` and `roles` are checked by the plugin's route policy module (the rules it enforces).
import { compileRoutePolicy, isForwardableRole, type RoutePolicyInput } from '@authgate/fastify/proxy'
import { parseDuration } from '@authgate/fastify/config'
import { hasDotSegment } from './dot-segments.js'
import { PREFIX_EXPECTED, type RouteInput } from './schema.js'
import type { Report, RouteAuth, RouteConfig } from './types.js'

/** Paths the gateway answers itself. The auth prefix is checked separately. */
export const RESERVED_PREFIXES = ['/healthz', '/readyz', '/metrics', '/_authgate', '/.well-known']

function overlaps (prefix: string, reserved: string): boolean {
  return prefix === reserved || prefix.startsWith(`${reserved}/`)
}

/**
 * `auth` and `roles` as the file wrote them (the schema's filled defaults would hide an absent `auth`), checked by the
 * route policy itself; absent auth: `required`.
 */
function readPolicy (given: unknown, path: string, report: Report): { auth: RouteAuth, roles: readonly string[] } {
  const written = (typeof given === 'object' && given !== null ? given : {}) as { auth?: unknown, roles?: unknown }
  // YAML writes an empty key as null: absent, as everywhere else in the file.
  const input = { auth: written.auth ?? undefined, roles: written.roles ?? undefined } as RoutePolicyInput
  try {
    const { mode, roles } = compileRoutePolicy(input, { defaultAuth: 'required', pathOf: (key) => `${path}.${key}` })
    return { auth: mode, roles }
  } catch (error) {
    // The policy writes `path reason`; the list writes `path: reason`.
    const [key = path, ...reason] = (error as Error).message.split(' ')
    report(key, reason.join(' '))
    return { auth: 'required', roles: [] }
  }
}

/** An http(s) URL without credentials, query or fragment, trailing slashes dropped (the schema checked the scheme). */
function upstreamOf (text: string, path: string, report: Report): string {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    report(path, 'must be an http:// or https:// URL')
  }
  if (url !== undefined && (url.username !== '' || url.password !== '')) report(path, 'must not hold credentials')
  if (url !== undefined && (url.search !== '' || url.hash !== '')) report(path, 'must not hold a query or fragment')
  return text.replace(/\/+$/, '')
}

function readRoute (route: RouteInput, given: unknown, path: string, authPrefix: string, report: Report): RouteConfig {
  const { prefix } = route
  // The schema's pattern takes any plain segment; this is the one check for `.` and `..` (dot-segments.ts says why).
  if (hasDotSegment(prefix)) report(`${path}.prefix`, PREFIX_EXPECTED)
  const reserved = [...RESERVED_PREFIXES, authPrefix].find((name) => overlaps(prefix, name))
  if (reserved !== undefined) report(`${path}.prefix`, `must not be ${reserved} or under it: the gateway answers there itself`)
  const { auth, roles } = readPolicy(given, path, report)
  // The gateway's own limit on top of the policy's: a role a forwarded roles header cannot carry is never in a token it admits.
  roles.forEach((role, index) => { if (!isForwardableRole(role)) report(`${path}.roles[${index}]`, 'must be a role name headers can carry (printable ASCII, no commas or spaces, at most 128 characters)') })
  return Object.freeze({
    prefix,
    upstream: upstreamOf(route.upstream, `${path}.upstream`, report),
    auth,
    roles: Object.freeze([...roles]),
    timeoutMs: parseDuration(route.timeout, `${path}.timeout`),
    websocket: route.websocket,
    rewritePrefix: route.rewritePrefix,
    forwardAuthorization: route.forwardAuthorization,
    maxConcurrent: route.maxConcurrent
  })
}

/** `routes` after the schema (defaults filled); `given` is the file's own list, to tell an explicit auth from a default. */
export function readRoutes (value: readonly RouteInput[], given: unknown, authPrefix: string, report: Report): readonly RouteConfig[] {
  const routes = value.map((item, index) => readRoute(item, Array.isArray(given) ? given[index] : undefined, `routes[${index}]`, authPrefix, report))
  const seen = new Set<string>()
  routes.forEach((route, index) => {
    if (seen.has(route.prefix)) report(`routes[${index}].prefix`, `${route.prefix} is listed twice`)
    seen.add(route.prefix)
  })
  return Object.freeze(routes)
}
