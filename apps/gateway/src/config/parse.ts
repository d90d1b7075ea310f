// Untyped configuration (parsed YAML/JSON, or an object built in code) → a validated, frozen GatewayConfig:
// `${VAR}` expansion, AUTHGATE_* overrides, deprecated names, then the schema (the plugin's sections and the
// gateway's own, every problem at once), then the gateway's rules that span keys.
import { isAbsolute, resolve } from 'node:path'
import { applyAliases, copyPlain, createValidator, isPlainObject, normaliseCheckedOidc, normaliseTrustedIssuers, parseDuration, usersSectionIssues, parseKeyEncryptionKey, type ConfigValidator, type Form, type OidcInput } from '@authgate/fastify'
import { expandEnv } from './env.js'
import { applyEnvOverrides } from './env-overrides.js'
import { Reader } from './reader.js'
import { readHeaderLists } from './header-lists.js'
import { readClaimHeaders } from './claim-headers.js'
import { readVerifyPath } from './verify-path.js'
import { readRoutes } from './routes.js'
import { gatewaySchema } from './schema.js'
import { readServer, type ServerInput } from './server.js'
import { ConfigError, type GatewayConfig, type IdentityHeaderNames, type PluginSections, type TokenTimes } from './types.js'

/** The plugin's auth prefix: the gateway keeps the default, so routes know what to stay clear of. */
export const AUTH_PREFIX = '/auth'

export interface ParseOptions {
  /** File the value came from (for messages; relative paths resolve against its directory). */
  file?: string
  /** Directory relative paths resolve against (default: the file's directory, else the working directory). */
  baseDir?: string
  /**
   * Source of `${VAR}` and of the AUTHGATE_* overrides (default: none — a `${VAR}` without an env is an error, and
   * nothing is overridden).
   */
  env?: Readonly<Record<string, string | undefined>>
  /** `json` (a file: what JSON can hold) or `code` (default: also KeyObjects and Buffers in tokens.keys). */
  form?: Form
}

const validators = new Map<Form, ConfigValidator>()

function validatorFor (form: Form): ConfigValidator {
  let validator = validators.get(form)
  if (validator === undefined) {
    // Text from `${VAR}` becomes the number or boolean the schema asks for.
    validator = createValidator(gatewaySchema(form), { coerceTypes: true })
    validators.set(form, validator)
  }
  return validator
}

function readHeaders (reader: Reader, headers: Record<string, string>): IdentityHeaderNames {
  const names = { userId: headers.userId ?? '', roles: headers.roles ?? '', sessionId: headers.sessionId ?? '', assertion: headers.assertion ?? '' }
  for (const key of Object.keys(names) as Array<keyof typeof names>) names[key] = names[key].toLowerCase()
  if (new Set(Object.values(names)).size !== 4) reader.fail('headers', 'must name four different headers')
  return Object.freeze(names)
}

function tokenTimes (tokens: PluginSections['tokens']): TokenTimes {
  const accessTtlMs = parseDuration(tokens.accessTtl, 'tokens.accessTtl')
  return {
    accessTtlMs,
    maxTtlMs: tokens.maxTtl === undefined ? accessTtlMs : parseDuration(tokens.maxTtl, 'tokens.maxTtl'),
    clockToleranceMs: parseDuration(tokens.clockTolerance, 'tokens.clockTolerance'),
    revocationDelayMs: parseDuration(tokens.revocationDelay, 'tokens.revocationDelay'),
    reuseGraceMs: parseDuration(tokens.reuseGrace, 'tokens.reuseGrace'),
    keyRefreshMs: parseDuration(tokens.keyRing?.refreshInterval ?? 0, 'tokens.keyRing.refreshInterval')
  }
}

function deepFreeze<T> (value: T): T {
  if (isPlainObject(value) || Array.isArray(value)) {
    for (const item of Object.values(value as object)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}

/** Validates `raw` into a frozen GatewayConfig; throws ConfigError listing every problem, naming the file and keys. */
export function parseConfig (raw: unknown, options: ParseOptions = {}): GatewayConfig {
  const where = options.file ?? 'configuration'
  const expanded = expandEnv(raw, options.env ?? {}, where)
  if (!isPlainObject(expanded)) throw new ConfigError(`${where}: (root) must be an object (a YAML mapping)`)
  const form = options.form ?? 'code'
  const config = copyPlain(expanded) as Record<string, unknown>
  const problems = options.env === undefined ? [] : applyEnvOverrides(config, options.env, gatewaySchema('json'))
  const { warnings, issues } = applyAliases(config)
  problems.push(...issues, ...validatorFor(form)(config))
  // The plugin's own cross-key rule for trusted issuers, run here so `config check` lists its problem with the rest
  // (as are the users rules below; the other plugin cross-key rules still surface only in checkStartable: NOTES-SCHEMA.md).
  const usersRaw = config.users as { source?: unknown } | undefined
  if (isPlainObject(usersRaw) && (usersRaw.source === 'builtin' || usersRaw.source === 'upstream')) problems.push(...usersSectionIssues(usersRaw as PluginSections['users']))
  const tokensRaw = config.tokens as { trustedIssuers?: unknown, issuer?: string } | undefined
  if (Array.isArray(tokensRaw?.trustedIssuers)) {
    try {
      normaliseTrustedIssuers(tokensRaw.trustedIssuers, tokensRaw.issuer ?? 'authgate')
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  // The OIDC rules the schema cannot say (unique provider names, https issuers, the `openid` scope), on a section the
  // schema accepted (they would trip over the same data again).
  if (isPlainObject(config.oidc) && !problems.some((line) => line.startsWith('oidc'))) {
    try {
      normaliseCheckedOidc(config.oidc as unknown as OidcInput)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`${where}: invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n${problems.map((line) => `  - ${line}`).join('\n')}`, { issues: problems })
  }
  const reader = new Reader(where)
  const baseDir = options.baseDir ?? (options.file === undefined ? process.cwd() : resolve(options.file, '..'))
  const sections = config as unknown as PluginSections & { server: ServerInput, log: GatewayConfig['log'], routes: never, headers: Record<string, string>, auth: { verifyPath: string | boolean } }
  const store = sections.store
  // A file has no MongoClient to give: it names the server.
  if (store?.mongodb !== undefined && (store.mongodb as { url?: string }).url === undefined) reader.fail('store.mongodb.url', 'is required')
  const tokens = { ...sections.tokens }
  if (tokens.keysDir !== undefined && !isAbsolute(tokens.keysDir)) tokens.keysDir = resolve(baseDir, tokens.keysDir)
  // Every instance must read the same ring, and `authgate keys rotate` must reach it: an in-memory ring would be neither.
  if (tokens.keyRing !== undefined && store?.mongodb === undefined) reader.fail('tokens.keyRing.store', 'database needs store.mongodb')
  if (tokens.keyRing !== undefined) {
    const ring = tokens.keyRing
    try {
      // Parsed now, so the key never shows in a dump or log of the configuration (it serialises as "[redacted]").
      tokens.keyRing = { ...ring, keyEncryptionKey: parseKeyEncryptionKey(ring.keyEncryptionKey, 'tokens.keyRing.keyEncryptionKey') }
    } catch (error) {
      reader.fail('tokens.keyRing.keyEncryptionKey', (error as Error).message.replace('tokens.keyRing.keyEncryptionKey ', ''))
    }
  }
  const headers = readHeaders(reader, sections.headers)
  const { verifyPath, ...auth } = sections.auth
  return deepFreeze({
    file: options.file,
    deprecations: Object.freeze(warnings),
    server: readServer(reader, sections.server),
    log: sections.log,
    store,
    tokens,
    tokenTimes: Object.freeze(tokenTimes(tokens)),
    cookie: sections.cookie,
    notifications: sections.notifications,
    routes: readRoutes(reader, sections.routes, (expanded as { routes?: unknown }).routes, AUTH_PREFIX),
    users: sections.users,
    auth,
    headers,
    claimHeaders: readClaimHeaders(reader, sections.headers, headers),
    verifyPath: readVerifyPath(reader, verifyPath === true ? undefined : verifyPath, AUTH_PREFIX),
    headerLists: readHeaderLists(reader, sections.headers),
    registration: auth.registration,
    allowedOrigins: auth.allowedOrigins,
    rateLimit: sections.rateLimit,
    oidc: sections.oidc
  })
}
