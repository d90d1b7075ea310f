// AuthgateOptions → NormalisedOptions, once, at registration (before anything is decorated). The schema
// (options/schema.ts) checks every key and fills the defaults; the rules that span keys are here, and their problems
// join the schema's in one ConfigValidationError listing all of them, each naming its option path.
import { loadKeysDir } from '../keys/keys-dir.js'
import { checkAlgorithm } from '../tokens/key-material.js'
import { normaliseTokenOptions } from '../tokens/options.js'
import { isRoleList } from '../tokens/claims.js'
import type { KeyInput, TokenOptions } from '../tokens/types.js'
import { parseKeyEncryptionKey } from '../keys/key-ring-crypto.js'
import { isSessionStore } from '../stores/index.js'
import { cookiePrefixOf } from './cookie-prefix.js'
import { normaliseTrustedIssuers } from '../tokens/trusted-issuers/index.js'
import { normaliseDefaultAuth } from '../route-policy/index.js'
import { normaliseCheckedOidc } from '../oidc/options.js'
import { applyAliases, copyPlain, isPlainObject } from '../config/aliases.js'
import { parseDuration } from '../config/duration.js'
import { pluginSchema } from './schema.js'
import { ConfigValidationError, createValidator, type ConfigValidator } from '../config/validate.js'
import { DEFAULT_LEGACY_TIMEOUT, DEFAULT_RECHECK_INTERVAL } from './section-users.js'
import { DEFAULT_AUDIT_QUEUE_SIZE, DEFAULT_AUDIT_RETENTION, DEFAULT_IP_MEMORY } from './section-misc.js'
import { DEFAULT_IP_PREFIX } from '../notifications/ip-network.js'
import { normaliseRecovery } from './recovery.js'
export { DEFAULT_ROLES } from './section-auth.js'
import type {
  AdminInput, AuditInput, AuthgateOptions, AuthInput, CookieInput, NormalisedKeyRing, NormalisedOptions, NormalisedRateLimit, NormalisedRule, RateLimitInput,
  RateLimitRule, RevocationInput, TokensInput, UsersInput
} from './types.js'
import type { LegacyUsersConfig } from '../users/legacy-config.js'
import type { OidcInput } from '../oidc/schema.js'
import type { MetricsRegistry } from '../metrics/types.js'

export type * from './types.js'
export { parseDuration }

/** `metrics` as given, once it looks like a prom-client Registry (the schema only knows it is an object). */
function metricsRegistry (registry: MetricsRegistry | undefined): MetricsRegistry | undefined {
  if (registry === undefined || (typeof registry.registerMetric === 'function' && typeof registry.getSingleMetric === 'function')) return registry
  throw new Error('metrics: must be a prom-client Registry')
}

/** Options after the schema: every default filled in. */
interface Checked extends AuthgateOptions {
  tokens: TokensInput & Required<Pick<TokensInput, 'issuer' | 'audience' | 'accessTtl' | 'refreshTtl' | 'reuseGrace' | 'revocationDelay' | 'clockTolerance'>>
  cookie: Required<CookieInput>
  auth: Required<Omit<AuthInput, 'publicOrigin'>> & Pick<AuthInput, 'publicOrigin'>
  rateLimit: (Required<Omit<RateLimitInput, 'redis'>> & Pick<RateLimitInput, 'redis'>) | false
  users: UsersInput & { source: 'builtin' | 'upstream' }
  revocation: RevocationInput & { changeStreams: 'auto' | false }
  admin: AdminInput & { roles: string[] }
}

/** Collects problems; `attempt` turns a throwing check (`path reason`) into one line (`path: reason`). */
class Issues {
  readonly list: string[] = []
  add (path: string, reason: string): void { this.list.push(`${path}: ${reason}`) }
  attempt<T> (run: () => T): T | undefined {
    try {
      return run()
    } catch (error) {
      this.list.push((error as Error).message.replace(/^([\w.[\]]+) (?!:)/, '$1: '))
      return undefined
    }
  }
}

let validator: ConfigValidator | undefined

function ms (value: unknown, path: string): number {
  return parseDuration(value, path)
}

function rule (value: RateLimitRule): NormalisedRule {
  return { max: value.max, timeWindowMs: ms(value.timeWindow, 'timeWindow') }
}

function normaliseRateLimit (limits: Checked['rateLimit']): NormalisedRateLimit | false {
  if (limits === false) return false
  return {
    login: rule(limits.login),
    refresh: rule(limits.refresh),
    register: rule(limits.register),
    recovery: rule(limits.recovery),
    recoveryAccount: rule(limits.recoveryAccount),
    accountFailures: rule(limits.accountFailures),
    redis: limits.redis,
    keyPrefix: limits.keyPrefix
  }
}

/**
 * `origin` as `scheme://host[:port]` (http or https; host lower-cased, a default port dropped), or an Error naming
 * `path`: a path, query, fragment or credentials are refused. One reading of an origin for the plugin's options and
 * the gateway's `server.publicOrigin`.
 */
export function normaliseOrigin (origin: unknown, path: string): string {
  if (typeof origin !== 'string') throw new Error(`${path} must be a string`)
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    throw new Error(`${path} must be an origin like https://app.example.com`)
  }
  const extra = url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || /[?#]/.test(origin)
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || extra) throw new Error(`${path} must be an origin (scheme://host[:port]), without a path`)
  return url.origin
}

function loadKeys (input: Checked['tokens'], issues: Issues, readKeys: boolean): KeyInput[] {
  const given = [input.keys, input.keysDir, input.keyRing].filter((value) => value !== undefined).length
  if (given > 1) issues.add('tokens', 'keys, keysDir and keyRing are exclusive: give one')
  if (given === 0) issues.add('tokens.keysDir', 'is required (a directory written by `authgate keygen`), or tokens.keys in code, or tokens.keyRing')
  if (input.keyRing !== undefined) {
    if (input.signingKid !== undefined) issues.add('tokens.signingKid', 'does not apply to tokens.keyRing (the ring\'s current key signs)')
    return []
  }
  if (input.keysDir !== undefined) {
    if (!readKeys) return []
    const dir = input.keysDir
    // Startup fails loudly: an app whose every token answers 503 looks healthy to its orchestrator (issue #12 item 5).
    return issues.attempt(() => {
      try {
        return loadKeysDir(dir)
      } catch (error) {
        const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code
        throw new Error(`tokens.keysDir: ${(error as Error).message}${code === undefined ? '' : ` (${code})`}`)
      }
    }) ?? []
  }
  return input.keys ?? []
}

type NormalisedTokens = Pick<NormalisedOptions, 'tokens' | 'keyRing' | 'trustedIssuers' | 'refreshTtlMs' | 'idleTimeoutMs' | 'reuseGraceMs' | 'revocationDelayMs'>

function normaliseTokens (input: Checked['tokens'], issues: Issues, readKeys: boolean): NormalisedTokens {
  const keys = loadKeys(input, issues, readKeys)
  // Without an explicit algorithm, the signing key decides (the first key, as loadKeysDir puts the signing key first).
  const algorithm = checkAlgorithm(input.algorithm ?? keys[0]?.algorithm ?? 'EdDSA', 'tokens.algorithm')
  const accessTtlMs = ms(input.accessTtl, 'tokens.accessTtl')
  const refreshTtlMs = ms(input.refreshTtl, 'tokens.refreshTtl')
  const idleTimeoutMs = input.idleTimeout === undefined ? refreshTtlMs : ms(input.idleTimeout, 'tokens.idleTimeout')
  if (idleTimeoutMs > refreshTtlMs) issues.add('tokens.idleTimeout', 'must not be longer than tokens.refreshTtl')
  // Access tokens carry whole seconds (`exp`, `iat`).
  if (accessTtlMs % 1000 !== 0) issues.add('tokens.accessTtl', 'must be a whole number of seconds')
  const maxTtlMs = input.maxTtl === undefined ? undefined : ms(input.maxTtl, 'tokens.maxTtl')
  if (maxTtlMs !== undefined && maxTtlMs % 1000 !== 0) issues.add('tokens.maxTtl', 'must be a whole number of seconds')
  const tokens: TokenOptions = {
    algorithm,
    keys,
    issuer: input.issuer,
    audience: input.audience,
    accessTtl: Math.floor(accessTtlMs / 1000),
    clockTolerance: ms(input.clockTolerance, 'tokens.clockTolerance') / 1000
  }
  if (input.signingKid !== undefined) tokens.signingKid = input.signingKid
  if (maxTtlMs !== undefined) tokens.maxTtl = Math.floor(maxTtlMs / 1000)
  // The key set's own rules (sizes, a signing key of the algorithm, kids used once), reported here, not per request.
  if (keys.length > 0) issues.attempt(() => normaliseTokenOptions(tokens))
  const ring = input.keyRing
  // A missing KEK is the schema's to report (once).
  const keyRing: NormalisedKeyRing | undefined = ring?.keyEncryptionKey === undefined
    ? undefined
    : issues.attempt(() => ({
      store: ring.store,
      kek: parseKeyEncryptionKey(ring.keyEncryptionKey, 'tokens.keyRing.keyEncryptionKey'),
      refreshMs: ms(ring.refreshInterval, 'tokens.keyRing.refreshInterval')
    }))
  return {
    tokens,
    keyRing,
    trustedIssuers: issues.attempt(() => normaliseTrustedIssuers(input.trustedIssuers, tokens.issuer)) ?? [],
    refreshTtlMs,
    idleTimeoutMs,
    reuseGraceMs: ms(input.reuseGrace, 'tokens.reuseGrace'),
    revocationDelayMs: ms(input.revocationDelay, 'tokens.revocationDelay')
  }
}

function checkCookie (cookie: Checked['cookie'], issues: Issues): void {
  if (cookie.sameSite === 'none' && !cookie.secure) issues.add('cookie.sameSite', 'none requires cookie.secure: true')
  if (cookie.deviceName === cookie.name) issues.add('cookie.deviceName', 'must differ from cookie.name')
  // Browsers drop a `__Host-`/`__Secure-` cookie without Secure: sign-in would then silently never stick.
  for (const [key, value] of [['cookie.name', cookie.name], ['cookie.deviceName', cookie.deviceName]] as const) {
    if (cookiePrefixOf(value) !== undefined && !cookie.secure) issues.add(key, 'with a __Host- or __Secure- prefix requires cookie.secure: true')
  }
}

/**
 * The cross-key rules of the `users` section (one line per problem, `path: reason`), exported so the gateway's
 * `config check` lists them with the schema's problems. `codeUserSource`: verifyCredentials was given.
 */
function usersSectionIssues (users: UsersInput & { source: 'builtin' | 'upstream' }, codeUserSource = false): string[] {
  const issues = new Issues()
  const upstreamOnly = ['url', 'map', 'timeout', 'refresh', 'lookupUrl', 'recheckInterval'] as const
  if (users.source === 'builtin') {
    for (const key of upstreamOnly) if (users[key] !== undefined) issues.add(`users.${key}`, 'is only for users.source: upstream')
    return issues.list
  }
  if (codeUserSource) issues.add('verifyCredentials', 'and users.source: upstream are exclusive: give one user source')
  if (users.url === undefined) issues.add('users.url', 'is required with users.source: upstream')
  const refresh = users.refresh ?? (users.lookupUrl === undefined ? 'none' : 'recheck')
  if (refresh === 'recheck' && users.lookupUrl === undefined) issues.add('users.lookupUrl', 'is required with users.refresh: recheck (or set users.refresh: none)')
  if (refresh === 'none' && users.recheckInterval !== undefined) issues.add('users.recheckInterval', 'needs users.refresh: recheck')
  return issues.list
}

function legacyUsers (input: Checked, issues: Issues): LegacyUsersConfig | undefined {
  const users = input.users
  issues.list.push(...usersSectionIssues(users, input.verifyCredentials !== undefined))
  if (users.source === 'builtin') return undefined
  const refresh = users.refresh ?? (users.lookupUrl === undefined ? 'none' : 'recheck')
  return {
    url: (users.url ?? '').replace(/\/+$/, ''),
    map: { id: users.map?.id ?? 'id', roles: users.map?.roles, email: users.map?.email },
    timeoutMs: ms(users.timeout ?? DEFAULT_LEGACY_TIMEOUT, 'users.timeout'),
    refresh,
    lookupUrl: users.lookupUrl,
    recheckIntervalMs: ms(users.recheckInterval ?? DEFAULT_RECHECK_INTERVAL, 'users.recheckInterval')
  }
}

function normaliseRefreshUser (input: Checked, issues: Issues): NormalisedOptions['refreshUser'] {
  if (input.refreshUser === undefined) {
    if (input.refreshUserInterval !== undefined) issues.add('refreshUserInterval', 'needs refreshUser')
    return undefined
  }
  // Users of the built-in collection are read again at every refresh already.
  if (input.verifyCredentials === undefined) issues.add('refreshUser', 'needs verifyCredentials (it re-asks the same user source)')
  return { lookup: input.refreshUser, intervalMs: ms(input.refreshUserInterval ?? DEFAULT_RECHECK_INTERVAL, 'refreshUserInterval') }
}

/** The cross-key rules, on options the schema has filled; `readKeys`: read tokens.keysDir (the only I/O). */
function build (input: Checked, issues: Issues, readKeys: boolean): NormalisedOptions {
  const { cookie, auth } = input
  const oidcRefused = issues.list.some((line) => line.startsWith('oidc'))
  checkCookie(cookie, issues)
  if (!isRoleList(auth.defaultRoles)) issues.add('auth.defaultRoles', 'must be role names (no commas or control characters)')
  if (!isRoleList(input.admin.roles)) issues.add('admin.roles', 'must be role names (no commas or control characters)')
  if (input.admin.grantableRoles !== undefined && !isRoleList(input.admin.grantableRoles)) issues.add('admin.grantableRoles', 'must be role names (no commas or control characters)')
  const allowedOrigins = new Set<string>()
  auth.allowedOrigins.forEach((origin, index) => {
    const normalised = issues.attempt(() => normaliseOrigin(origin, `auth.allowedOrigins[${index}]`))
    if (normalised !== undefined) allowedOrigins.add(normalised)
  })
  const publicOrigin = auth.publicOrigin === undefined || auth.publicOrigin === false ? auth.publicOrigin : issues.attempt(() => normaliseOrigin(auth.publicOrigin, 'auth.publicOrigin'))
  const failClosed = input.revocation.failClosedAfter
  return {
    store: input.store,
    ...normaliseTokens(input.tokens, issues, readKeys),
    cookie: { ...cookie, path: auth.prefix },
    prefix: auth.prefix,
    jwksPath: auth.jwksPath,
    registration: auth.registration,
    defaultRoles: [...auth.defaultRoles],
    allowedOrigins,
    publicOrigin,
    reuseDetection: auth.reuseDetection,
    rateLimit: normaliseRateLimit(input.rateLimit),
    verifyCredentials: input.verifyCredentials,
    refreshUser: normaliseRefreshUser(input, issues),
    events: input.events ?? {},
    metrics: issues.attempt(() => metricsRegistry(input.metrics)),
    revocationFailClosedAfterMs: failClosed === undefined ? undefined : ms(failClosed, 'revocation.failClosedAfter'),
    revocationChangeStreams: input.revocation.changeStreams,
    // The schema has checked `oidc` (its section is OidcSchema); these are the rules it cannot say, skipped when the
    // schema refused the section (they would trip over the same data again).
    oidc: input.oidc === undefined || oidcRefused ? undefined : issues.attempt(() => normaliseCheckedOidc(input.oidc as OidcInput)),
    defaultAuth: normaliseDefaultAuth(input.defaultAuth),
    authenticateDecorator: input.authenticateDecorator ?? 'authenticate',
    legacyUsers: legacyUsers(input, issues),
    newDeviceWebhook: input.notifications?.newDeviceWebhook,
    newIp: {
      webhook: input.notifications?.newIpWebhook,
      memoryMs: input.notifications?.ipMemory === false ? false : ms(input.notifications?.ipMemory ?? DEFAULT_IP_MEMORY, 'notifications.ipMemory'),
      prefix: { ...DEFAULT_IP_PREFIX, ...input.notifications?.ipPrefix }
    },
    recovery: normaliseRecovery(auth, input.mail, publicOrigin, input.verifyCredentials === undefined && input.users.source === 'builtin', issues),
    audit: {
      retentionMs: auditRetentionMs(input.audit),
      queueSize: input.audit?.queueSize ?? DEFAULT_AUDIT_QUEUE_SIZE
    },
    admin: { roles: [...input.admin.roles], grantableRoles: input.admin.grantableRoles === undefined ? undefined : [...input.admin.grantableRoles], explicit: false },
    warnings: []
  }
}

/** `input` copied, the deprecated names moved, the schema's defaults filled in; `issues` holds the schema's problems. */
function checked (input: AuthgateOptions, issues: Issues): { copy: Record<string, unknown>, warnings: string[] } {
  const copy = copyPlain(input) as Record<string, unknown>
  const { warnings, issues: aliasIssues } = applyAliases(copy)
  issues.list.push(...aliasIssues)
  // A SessionStore given in code is not data: the schema checks the plain forms only.
  const store = copy.store
  if (isSessionStore(store)) delete copy.store
  validator ??= createValidator(pluginSchema())
  issues.list.push(...validator(copy))
  if (isSessionStore(store)) copy.store = store
  return { copy, warnings }
}

/**
 * The problems of the rules that span keys (`path: reason` lines), for a caller that checked the sections against the
 * schema itself and lists these beside its own (the gateway's `config check`). No I/O: tokens.keysDir is not read.
 */
export function optionIssues (input: AuthgateOptions): string[] {
  if (!isPlainObject(input)) return []
  const issues = new Issues()
  const { copy } = checked(input, issues)
  const schemaProblems = issues.list.length
  try {
    build(copy as unknown as Checked, issues, false)
  } catch (error) {
    // A rule tripping over data the schema refused adds nothing (the caller reports that); on valid data it is a bug.
    if (schemaProblems === 0) throw error
  }
  return issues.list.slice(schemaProblems)
}

/**
 * Checks `input` against the schema and the cross-key rules. Throws ConfigValidationError listing every problem;
 * `warnings` of the result name the deprecated options used.
 */
/** audit.retention in ms, its default filled in; false: no trail. The CLI reads it too (its key-ring rows). */
export function auditRetentionMs (audit: AuditInput | undefined): number | false {
  return audit?.retention === false ? false : ms(audit?.retention ?? DEFAULT_AUDIT_RETENTION, 'audit.retention')
}

export function normaliseOptions (input: AuthgateOptions, where = '@authgate/fastify'): NormalisedOptions {
  // Options may come from untyped configuration (YAML, JSON): every check holds at run time too.
  if (!isPlainObject(input)) throw new ConfigValidationError(where, ['(root): options must be an object'])
  const issues = new Issues()
  const { copy, warnings } = checked(input, issues)
  let options: NormalisedOptions | undefined
  const schemaProblems = issues.list.length
  try {
    // The cross-key rules run even when the schema found problems (defaults are filled either way), so one run
    // reports everything; a rule tripping over data the schema already refused adds nothing.
    options = build(copy as unknown as Checked, issues, true)
  } catch (error) {
    if (schemaProblems === 0) throw error
  }
  if (options === undefined || issues.list.length > 0) throw new ConfigValidationError(where, issues.list)
  options.warnings = warnings
  options.admin.explicit = input.admin !== undefined
  return options
}
