// The settings that work but weaken the gateway: one list, printed by `authgate config check` and `authgate doctor`
// (and turned into exit 1 by their --strict). Each warning names the key and says what it costs.
import { DEFAULT_ROLES } from '@authgate/fastify/config'
import { checkRoles } from '@authgate/fastify/proxy'
import type { GatewayConfig } from '../config.js'
import { schemaAt } from '@authgate/fastify/config'
import { literalSecrets } from './literal-secrets.js'
import { gatewaySchema } from '../config/schema.js'
import { legacyRefreshWarning } from './users-refresh.js'
import { trustsProxy } from '../trust-proxy.js'

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
/** Racing tabs and a lost response need seconds; beyond this the grace mostly serves a replayed stolen token. */
const REUSE_GRACE_WARN_MS = 30_000

/** Whether `url` is plain HTTP to a host other than this machine (by its parsed host name, not a prefix of the text). */
function plainHttpOffLoopback (url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol !== 'http:') return false
  const host = parsed.hostname
  return !(host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))
}

function duration (ms: number): string {
  return ms % HOUR_MS === 0 ? `${ms / HOUR_MS} h` : ms % MINUTE_MS === 0 ? `${ms / MINUTE_MS} min` : `${ms / 1000} s`
}

/** Issue #12 made a bare number milliseconds everywhere (some lifetimes were seconds before): named in the warning. */
const BARE_MILLISECONDS_SINCE = 'issue #12 (the release after 0.1.0)'

/**
 * Lifetimes written as a bare number below 1000 in the file (`accessTtl: 900`): milliseconds now, almost surely meant
 * as seconds. Found by walking the file as written beside the schema, so every duration key is covered.
 */
function bareMilliseconds (raw: unknown): string[] {
  const schema = gatewaySchema('json')
  const found: string[] = []
  const walk = (value: unknown, segments: Array<string | number>, path: string): void => {
    if (typeof value === 'number') {
      const node = schemaAt(schema, segments)
      if (node?.['x-duration'] !== undefined && value > 0 && value < 1000) {
        found.push(`${path} is ${value}: ${value} milliseconds (bare numbers are milliseconds since ${BARE_MILLISECONDS_SINCE}): did you mean ${value}s?`)
      }
    } else if (Array.isArray(value)) value.forEach((item, index) => { walk(item, [...segments, index], `${path}[${index}]`) })
    else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) walk(item, [...segments, key], path === '' ? key : `${path}.${key}`)
    }
  }
  walk(raw, [], '')
  return found
}

/**
 * Routes a registered stranger passes with an identity: `auth: required` or `optional` whose roles are empty or include
 * one that registration grants (the plugin's default roles: the gateway does not change them). With open
 * registration anyone can create such an account, so these routes are as open as anonymous ones.
 */
export function routesOpenToRegistration (config: GatewayConfig): string[] {
  if (!config.registration) return []
  return config.routes
    .filter((route) => route.auth !== 'none' && checkRoles({ roles: [...DEFAULT_ROLES] }, route.roles))
    .map((route) => route.prefix)
}

/** Warnings for `config`; `raw` is the file as written (before `${VAR}` expansion), for literal secrets. */
export function configWarnings (config: GatewayConfig, raw?: unknown): string[] {
  const found: string[] = []
  const { server, cookie } = config
  if (server.trustProxy === true) found.push('server.trustProxy is true: every client can choose its X-Forwarded-For (rate-limit keys, logs); name the load balancer\'s addresses instead')
  if (trustsProxy(server.trustProxy) && server.publicOrigin === undefined) {
    found.push('server.trustProxy without server.publicOrigin: the CSRF check never trusts the request\'s host behind a proxy, so browser refresh and logout calls are refused unless their Origin is in auth.allowedOrigins; set server.publicOrigin')
  }
  if (!cookie.secure) {
    const exposed = !['127.0.0.1', '::1', 'localhost'].includes(server.host)
    found.push('cookie.secure is false: the refresh token travels in clear over plain HTTP (acceptable on loopback only)' +
      (exposed ? `, and server.host ${server.host} is reachable from other machines` : ''))
  }
  if (cookie.sameSite === 'none') found.push('cookie.sameSite is none: the refresh cookie is sent on cross-site requests; only the Origin check (auth.allowedOrigins) stands against CSRF')
  const corsOrigins = config.cors?.origins ?? []
  for (const origin of corsOrigins) {
    // A page served over plain HTTP can be rewritten on the way: with credentials it then acts as the user.
    if (plainHttpOffLoopback(origin)) found.push(`cors.origins contains the plain-HTTP origin ${origin}: a page on it can be altered in transit and then calls the gateway as its user`)
  }
  for (const origin of config.allowedOrigins) {
    // (The CORS origins standing in for auth.allowedOrigins are reported above, once.)
    if (plainHttpOffLoopback(origin) && !corsOrigins.includes(origin)) found.push(`auth.allowedOrigins contains the plain-HTTP origin ${origin}`)
  }
  if (config.tokenTimes.accessTtlMs > HOUR_MS) found.push(`tokens.accessTtl is ${duration(config.tokenTimes.accessTtlMs)}: a stolen access token works that long, and logout reaches it only through the revocation list; 15 min or less is usual`)
  if (config.tokenTimes.maxTtlMs > HOUR_MS) found.push(`tokens.maxTtl is ${duration(config.tokenTimes.maxTtlMs)}: the gateway accepts tokens that live that long (authgate token --ttl)`)
  const toleranceMs = config.tokenTimes.clockToleranceMs
  if (toleranceMs > MINUTE_MS) found.push(`tokens.clockTolerance is ${duration(toleranceMs)}: expired tokens are accepted that long after their exp; synchronise clocks (NTP) and keep it at 60 s or less`)
  // (tokens.reuseGrace over 60 s is refused outright by the configuration.)
  if (config.tokenTimes.reuseGraceMs > REUSE_GRACE_WARN_MS) {
    found.push(`tokens.reuseGrace is ${duration(config.tokenTimes.reuseGraceMs)}: whoever replays a refresh token that long after its rotation gets the successor too, and no reuse is detected; racing tabs need a few seconds (default 10 s)`)
  }
  if (config.registration) {
    found.push(`auth.registration is true: anyone can create an account and log in (roles ${DEFAULT_ROLES.join(', ')}); turn it off unless strangers should have accounts`)
    const open = routesOpenToRegistration(config)
    if (open.length > 0) {
      found.push(`SEVERE: auth.registration is true and ${open.map((prefix) => `route ${prefix}`).join(', ')} ${open.length === 1 ? 'admits' : 'admit'} any registered stranger (auth: required/optional with no roles, or only roles registration grants: ${DEFAULT_ROLES.join(', ')}); require other roles there, or turn registration off`)
    }
  }
  const legacy = legacyRefreshWarning(config.users)
  if (legacy !== undefined) found.push(legacy)
  found.push(...bareMilliseconds(raw))
  for (const path of literalSecrets(raw)) found.push(`${path} is a secret written in the file: read it from the environment (\${VAR}) instead`)
  if (config.store === undefined) {
    found.push('no store.mongodb: sessions live in memory and vanish on restart' + (server.workers > 1 ? '; with server.workers > 1 each worker has its own sessions' : ''))
  }
  if (config.tokenTimes.revocationDelayMs > MINUTE_MS) found.push(`tokens.revocationDelay is ${duration(config.tokenTimes.revocationDelayMs)}: a logged-out or revoked session's access token (and its WebSockets) keeps working that long on other instances; 60 s or less`)
  if (config.rateLimit === false) found.push('rateLimit is false: login, refresh and registration attempts are not limited and accounts never lock out (password guessing at full speed)')
  if (config.users.source === 'upstream' && config.users.url !== undefined && plainHttpOffLoopback(config.users.url)) {
    found.push(`users.url: the legacy login ${new URL(config.users.url).host} is reached over plain HTTP; every password crosses that network in clear (use https://)`)
  }
  if (server.workers > 1 && config.rateLimit !== false && config.rateLimit.redis === undefined) {
    found.push(`server.workers is ${server.workers} without rateLimit.redis: each worker counts login attempts on its own (${server.workers}× the limits)`)
  }
  for (const route of config.routes) {
    if (route.forwardAuthorization) found.push(`route ${route.prefix}: forwardAuthorization sends the bearer token to the upstream`)
    if (route.prefix === '/' && route.auth !== 'required') found.push('route /: a catch-all anonymous route proxies every path no other route claims')
    if (plainHttpOffLoopback(route.upstream)) {
      found.push(`route ${route.prefix}: the upstream ${new URL(route.upstream).host} is reached over plain HTTP; the identity headers can be read or forged on that network (upstreams can verify x-authgate-assertion)`)
    }
  }
  return found
}
