// Untyped configuration (parsed YAML/JSON, or an object built in code) → a validated, frozen GatewayConfig:
// `${VAR}` expansion, AUTHGATE_* overrides, deprecated names, then the schema (the plugin's sections and the
// gateway's own, every problem at once), then the gateway's rules that span keys.
import { isAbsolute, resolve } from 'node:path'
import { optionIssues } from '@authgate/fastify/config'
import { parseKeyEncryptionKey } from '@authgate/fastify/key-ring'
import { applyEnvOverrides, applyKeyRingAliases, copyPlain, createValidator, expandEnv, formatIssues, isPlainObject, parseDuration, typeSubstituted, type ConfigValidator, type Form } from '@authgate/fastify/config'
import { AUTH_PREFIX, pluginOptions } from '../plugin-options.js'
import { readHeaderLists } from './header-lists.js'
import { readClaimHeaders } from './claim-headers.js'
import { readVerifyPath } from './verify-path.js'
import { csrfOrigins, readCors } from './cors.js'
import { readRoutes } from './routes.js'
import { gatewaySchema, type CorsInput, type HeadersInput, type LogInput, type RouteInput, type ServerInput, type TracingInput } from './schema.js'
import { readServer } from './server.js'
import { readTracing } from './tracing.js'
import { ConfigError, type GatewayConfig, type IdentityHeaderNames, type PluginSections, type Report, type TokenTimes } from './types.js'

export { AUTH_PREFIX }

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
  /**
   * false: leave the plugin's rules that span keys to checkStartable (`doctor` reports them as start-up problems
   * beside its audit of the settings). Default true: `config check` and `start` list them with the rest.
   */
  pluginRules?: boolean
}

const validators = new Map<Form, ConfigValidator>()

function validatorFor (form: Form): ConfigValidator {
  let validator = validators.get(form)
  if (validator === undefined) {
    // No coercion: only text from `${VAR}` and AUTHGATE_* becomes a number or boolean (typeSubstituted, typed).
    validator = createValidator(gatewaySchema(form))
    validators.set(form, validator)
  }
  return validator
}

function readHeaders (headers: HeadersInput, report: Report): IdentityHeaderNames {
  const names = { userId: headers.userId, roles: headers.roles, sessionId: headers.sessionId, assertion: headers.assertion }
  for (const key of Object.keys(names) as Array<keyof typeof names>) names[key] = names[key].toLowerCase()
  if (new Set(Object.values(names)).size !== 4) report('headers', 'must name four different headers')
  return Object.freeze(names)
}

/** The store and key-ring rules a file adds: a server to name, one ring for every instance, the ring's key parsed. */
function readStoreAndTokens (sections: PluginSections, baseDir: string, report: Report): PluginSections['tokens'] {
  const store = sections.store
  // A file has no MongoClient to give: it names the server.
  if (store?.mongodb !== undefined && (store.mongodb as { url?: string }).url === undefined) report('store.mongodb.url', 'is required')
  const tokens = { ...sections.tokens }
  if (tokens.keysDir !== undefined && !isAbsolute(tokens.keysDir)) tokens.keysDir = resolve(baseDir, tokens.keysDir)
  if (tokens.keyRing === undefined) return tokens
  // Every instance must read the same ring, and `authgate keys rotate` must reach it: an in-memory ring would be neither.
  if (store?.mongodb === undefined) report('tokens.keyRing.store', 'database needs store.mongodb')
  const ring = tokens.keyRing
  try {
    // Parsed now, so the key never shows in a dump or log of the configuration (it serialises as "[redacted]").
    tokens.keyRing = { ...ring, keyEncryptionKey: parseKeyEncryptionKey(ring.keyEncryptionKey, 'tokens.keyRing.keyEncryptionKey') }
  } catch (error) {
    report('tokens.keyRing.keyEncryptionKey', (error as Error).message.replace('tokens.keyRing.keyEncryptionKey ', ''))
  }
  return tokens
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

/** Whether `line` is a problem at `path` or inside it. */
function isUnder (line: string, path: string): boolean {
  return line.startsWith(path) && /^[.:[]/.test(line.slice(path.length))
}

/** The plugin's one-list form (`where: invalid configuration (N problems):` then a line each), as a ConfigError. */
function invalid (where: string, problems: readonly string[]): ConfigError {
  return new ConfigError(formatIssues(where, problems), { issues: problems })
}

type Sections = PluginSections & { server: ServerInput, log: LogInput, tracing: TracingInput, routes: RouteInput[], headers: HeadersInput, cors: CorsInput | undefined, auth: PluginSections['auth'] & { verifyPath: string | boolean } }

/** Validates `raw` into a frozen GatewayConfig; throws ConfigError listing every problem, naming the file and keys. */
export function parseConfig (raw: unknown, options: ParseOptions = {}): GatewayConfig {
  const where = options.file ?? 'configuration'
  const expanded = expandEnv(raw, options.env ?? {})
  if (!isPlainObject(expanded.value)) throw invalid(where, ['(root): must be an object (a YAML mapping)'])
  const form = options.form ?? 'code'
  const config = copyPlain(expanded.value) as Record<string, unknown>
  const problems = [...expanded.problems]
  typeSubstituted(config, expanded.substituted, gatewaySchema('json'))
  if (options.env !== undefined) problems.push(...applyEnvOverrides(config, options.env, gatewaySchema('json')))
  // Only the names a gateway file ever had: `registration: true` at the top is an unknown key here, not an alias.
  const { warnings, issues } = applyKeyRingAliases(config)
  // Before the schema fills its default: whether the file (or AUTHGATE_AUTH_ALLOWED_ORIGINS) set the CSRF list apart.
  const allowedOriginsGiven = isPlainObject(config.auth) && (config.auth as Record<string, unknown>).allowedOrigins !== undefined
  problems.push(...issues, ...validatorFor(form)(config).filter((line) => !expanded.paths.some((path) => isUnder(line, path))))
  // The rules that span keys run on the sections the schema accepted (they would trip over the same data again), and
  // add to the same list: `config check` shows every problem at once.
  const schemaProblems = [...problems]
  const accepted = (section: string): boolean => !schemaProblems.some((line) => isUnder(line, section))
  // The gateway's own.
  const report: Report = (path, reason) => { problems.push(`${path}: ${reason}`) }
  const sections = config as unknown as Sections
  const baseDir = options.baseDir ?? (options.file === undefined ? process.cwd() : resolve(options.file, '..'))
  const tokens = accepted('store') && accepted('tokens') ? readStoreAndTokens(sections, baseDir, report) : undefined
  const server = accepted('server') ? readServer(sections.server, report) : undefined
  const routes = accepted('routes') ? readRoutes(sections.routes, (expanded.value as { routes?: unknown }).routes, AUTH_PREFIX, report) : undefined
  const headers = accepted('headers') ? readHeaders(sections.headers, report) : undefined
  const claimHeaders = headers === undefined ? undefined : readClaimHeaders(sections.headers, headers, report)
  const headerLists = accepted('headers') ? readHeaderLists(sections.headers, report) : undefined
  // The OTEL_* variables are read from the same env as ${VAR} (the CLI passes process.env; code passes its own).
  const tracing = accepted('tracing') ? readTracing(sections.tracing, options.env ?? {}, report) : undefined
  const verifyPath = accepted('auth') ? readVerifyPath(sections.auth.verifyPath, AUTH_PREFIX, report) : undefined
  const corsAccepted = accepted('cors')
  const cors = corsAccepted ? readCors(sections.cors, report) : undefined
  const auth = accepted('auth') ? { ...sections.auth, allowedOrigins: [...csrfOrigins(sections.auth.allowedOrigins, allowedOriginsGiven, cors)] } : sections.auth
  // The plugin's own, on what the plugin would be given (issues already listed are not repeated).
  if (tokens !== undefined && options.pluginRules !== false) {
    const plugin = pluginOptions({ ...sections, auth, tokens, server: server ?? { publicOrigin: undefined, trustProxy: false } })
    problems.push(...optionIssues(plugin).filter((line) => !problems.includes(line)))
  }
  if (problems.length > 0 || !corsAccepted || tokens === undefined || server === undefined || routes === undefined || headers === undefined || claimHeaders === undefined || headerLists === undefined || verifyPath === undefined) {
    throw invalid(where, problems)
  }
  const { verifyPath: _verifyPath, ...pluginAuth } = auth
  return deepFreeze({
    file: options.file,
    deprecations: Object.freeze(warnings),
    server,
    log: sections.log,
    tracing,
    store: sections.store,
    tokens,
    tokenTimes: Object.freeze(tokenTimes(tokens)),
    cookie: sections.cookie,
    notifications: sections.notifications,
    mail: sections.mail,
    audit: sections.audit,
    admin: sections.admin,
    routes,
    users: sections.users,
    auth: pluginAuth,
    headers,
    claimHeaders,
    verifyPath,
    headerLists,
    registration: pluginAuth.registration,
    allowedOrigins: pluginAuth.allowedOrigins,
    cors,
    rateLimit: sections.rateLimit,
    oidc: sections.oidc
  })
}
