// Untyped configuration (parsed YAML/JSON, or an object built in code) → a validated, frozen GatewayConfig.
import { isAbsolute, resolve } from 'node:path'
import { availableParallelism } from 'node:os'
import { ACCESS_ALGORITHMS, DEFAULT_KEY_REFRESH_MS, normaliseOrigin, parseKeyEncryptionKey, type AccessAlgorithm, type KeyEncryptionKey, type KeyInput } from '@authgate/fastify'
import { expandEnv } from './env.js'
import { Reader } from './reader.js'
import { readHeaderLists } from './header-lists.js'
import { readClaimHeaders } from './claim-headers.js'
import { readVerifyPath } from './verify-path.js'
import { CLIENT_LIMIT_KEYS, readClientLimits } from './client-limits.js'
import { readRateLimit } from './rate-limit.js'
import { readRoutes } from './routes.js'
import { readTrustedIssuers } from './trusted-issuers.js'
import { LEGACY_REFRESH_KEYS, readLegacyRefresh } from './users-refresh.js'
import { readOidc } from './oidc.js'
import type { GatewayConfig, IdentityHeaderNames, UsersConfig } from './types.js'

const TOP_KEYS = ['server', 'log', 'store', 'tokens', 'cookie', 'notifications', 'routes', 'users', 'headers', 'auth', 'rateLimit', 'oidc'] as const
const TOKEN_KEYS = ['algorithm', 'keysDir', 'keys', 'issuer', 'audience', 'accessTtl', 'refreshTtl', 'reuseGrace', 'revocationDelay', 'clockTolerance', 'maxTtl', 'keyStore', 'keyEncryptionKey', 'keyRefresh', 'trustedIssuers'] as const
const HEADER_NAME = /^[a-z0-9-]{1,64}$/
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/
/** The plugin's auth prefix: the gateway keeps the default, so routes know what to stay clear of. */
export const AUTH_PREFIX = '/auth'

export interface ParseOptions {
  /** File the value came from (for messages; relative paths resolve against its directory). */
  file?: string
  /** Directory relative paths resolve against (default: the file's directory, else the working directory). */
  baseDir?: string
  /** Source of `${VAR}` (default: none — a `${VAR}` without an env is an error). */
  env?: Readonly<Record<string, string | undefined>>
}

function readServer (reader: Reader, value: unknown): GatewayConfig['server'] {
  const server = reader.object(value, 'server', ['host', 'port', 'trustProxy', 'workers', 'bodyLimit', 'headersTimeout', 'publicOrigin', 'maxUrlLength', ...CLIENT_LIMIT_KEYS])
  const trust = server.trustProxy
  let trustProxy: GatewayConfig['server']['trustProxy'] = false
  if (typeof trust === 'boolean' || (typeof trust === 'number' && Number.isSafeInteger(trust) && trust >= 0)) trustProxy = trust
  else if (typeof trust === 'string' && trust.length > 0) trustProxy = trust === 'true' ? true : trust === 'false' ? false : trust
  else if (Array.isArray(trust)) trustProxy = Object.freeze(reader.stringList(trust, 'server.trustProxy'))
  else if (trust !== undefined && trust !== null) reader.fail('server.trustProxy', 'must be false, true, a hop count, or the proxy addresses (list or comma-separated)')
  const headersTimeoutMs = reader.duration(server.headersTimeout, 'server.headersTimeout', '30s', 500, 300_000)
  return Object.freeze({
    host: reader.string(server.host, 'server.host', '127.0.0.1'),
    port: reader.integer(server.port, 'server.port', 8080, 0, 65535),
    trustProxy,
    // `auto`: one worker per core the process may use, as nginx's `worker_processes auto`.
    workers: server.workers === 'auto' ? Math.min(64, availableParallelism()) : reader.integer(server.workers, 'server.workers', 1, 1, 64),
    bodyLimit: reader.integer(server.bodyLimit, 'server.bodyLimit', 1_048_576, 1024, 1_073_741_824),
    headersTimeoutMs,
    publicOrigin: readPublicOrigin(reader, server.publicOrigin),
    maxUrlLength: reader.integer(server.maxUrlLength, 'server.maxUrlLength', 8192, 256, 65_536),
    ...readClientLimits(reader, server, headersTimeoutMs)
  })
}

/** `scheme://host[:port]` browsers use to reach the gateway (the CSRF check's own origin behind a proxy). */
function readPublicOrigin (reader: Reader, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  try {
    // The plugin's own reading of an origin (its `publicOrigin` and `allowedOrigins` options).
    return normaliseOrigin(value, 'server.publicOrigin')
  } catch {
    return reader.fail('server.publicOrigin', 'must be an origin (scheme://host[:port]), without a path')
  }
}

function readStore (reader: Reader, value: unknown): GatewayConfig['store'] {
  if (value === undefined || value === null) return undefined
  const store = reader.object(value, 'store', ['mongodb'])
  const mongo = reader.object(store.mongodb, 'store.mongodb', ['url', 'database'])
  const url = reader.string(mongo.url, 'store.mongodb.url')
  if (!/^mongodb(\+srv)?:\/\//.test(url)) reader.fail('store.mongodb.url', 'must be a mongodb:// or mongodb+srv:// URL')
  return Object.freeze({ mongodb: Object.freeze({ url, database: reader.string(mongo.database, 'store.mongodb.database', 'authgate') }) })
}

function readTokens (reader: Reader, value: unknown, baseDir: string): GatewayConfig['tokens'] {
  const tokens = reader.object(value, 'tokens', TOKEN_KEYS)
  const keysDirText = reader.optionalString(tokens.keysDir, 'tokens.keysDir')
  const keys = tokens.keys === undefined ? undefined : tokens.keys as KeyInput[]
  if (keys !== undefined && !Array.isArray(keys)) reader.fail('tokens.keys', 'must be a list of keys (programmatic configurations only)')
  if (keys !== undefined && keysDirText !== undefined) reader.fail('tokens.keys', 'and tokens.keysDir are exclusive: give one')
  const keyStore = tokens.keyStore === undefined || tokens.keyStore === null ? undefined : reader.oneOf(tokens.keyStore, 'tokens.keyStore', ['database'] as const, 'database')
  let keyEncryptionKey: KeyEncryptionKey | undefined
  if (keyStore === 'database') {
    if (keys !== undefined || keysDirText !== undefined) reader.fail('tokens.keyStore', 'database is exclusive with tokens.keysDir and tokens.keys: give one')
    try {
      keyEncryptionKey = parseKeyEncryptionKey(tokens.keyEncryptionKey, 'tokens.keyEncryptionKey')
    } catch (error) {
      // The message names the key and the rule, never the value.
      reader.fail('tokens.keyEncryptionKey', (error as Error).message.replace('tokens.keyEncryptionKey ', ''))
    }
  } else {
    if (tokens.keyEncryptionKey !== undefined) reader.fail('tokens.keyEncryptionKey', 'is only for tokens.keyStore: database')
    if (tokens.keyRefresh !== undefined) reader.fail('tokens.keyRefresh', 'is only for tokens.keyStore: database')
    if (keys === undefined && keysDirText === undefined) reader.fail('tokens.keysDir', 'is required (a directory written by `authgate keygen`; key material never goes in the file), or tokens.keyStore: database')
  }
  const issuer = reader.string(tokens.issuer, 'tokens.issuer', 'authgate')
  const algorithm = tokens.algorithm === undefined
    ? undefined
    : reader.oneOf<AccessAlgorithm>(tokens.algorithm, 'tokens.algorithm', ACCESS_ALGORITHMS, 'EdDSA')
  return Object.freeze({
    algorithm,
    keysDir: keysDirText === undefined ? undefined : (isAbsolute(keysDirText) ? keysDirText : resolve(baseDir, keysDirText)),
    keys: keys === undefined ? undefined : Object.freeze([...keys]),
    keyStore,
    keyEncryptionKey,
    keyRefreshMs: reader.duration(tokens.keyRefresh, 'tokens.keyRefresh', `${DEFAULT_KEY_REFRESH_MS / 1000}s`, 50, 300_000),
    issuer,
    trustedIssuers: readTrustedIssuers(reader, tokens.trustedIssuers, issuer),
    audience: reader.string(tokens.audience, 'tokens.audience', 'upstream'),
    accessTtlMs: reader.duration(tokens.accessTtl, 'tokens.accessTtl', '15m', 1000, 86_400_000),
    refreshTtlMs: reader.duration(tokens.refreshTtl, 'tokens.refreshTtl', '30d', 60_000, 400 * 86_400_000),
    reuseGraceMs: reader.duration(tokens.reuseGrace, 'tokens.reuseGrace', '10s', 0, 60_000),
    revocationDelayMs: reader.duration(tokens.revocationDelay, 'tokens.revocationDelay', '5s', 100, 300_000),
    clockToleranceMs: tokens.clockTolerance === undefined ? undefined : reader.duration(tokens.clockTolerance, 'tokens.clockTolerance', '30s', 0, 300_000),
    maxTtlMs: tokens.maxTtl === undefined ? undefined : reader.duration(tokens.maxTtl, 'tokens.maxTtl', '15m', 1000, 366 * 86_400_000)
  })
}

function readCookie (reader: Reader, value: unknown): GatewayConfig['cookie'] {
  const cookie = reader.object(value, 'cookie', ['name', 'deviceName', 'secure', 'sameSite'])
  const name = reader.string(cookie.name, 'cookie.name', 'authgate_rt')
  const deviceName = reader.string(cookie.deviceName, 'cookie.deviceName', 'authgate_did')
  if (!COOKIE_NAME.test(name)) reader.fail('cookie.name', 'must be a cookie name (letters, digits, !#$%&\'*+-.^_`|~)')
  if (!COOKIE_NAME.test(deviceName) || deviceName === name) reader.fail('cookie.deviceName', 'must be a cookie name other than cookie.name')
  const secure = reader.boolean(cookie.secure, 'cookie.secure', true)
  const sameSite = reader.oneOf(cookie.sameSite, 'cookie.sameSite', ['strict', 'lax', 'none'] as const, 'strict')
  if (sameSite === 'none' && !secure) reader.fail('cookie.sameSite', 'none requires cookie.secure: true')
  return Object.freeze({ name, deviceName, secure, sameSite })
}

function readUsers (reader: Reader, value: unknown): UsersConfig {
  const users = reader.object(value, 'users', ['source', 'url', 'map', 'timeout', ...LEGACY_REFRESH_KEYS])
  const source = reader.oneOf(users.source, 'users.source', ['builtin', 'upstream'] as const, 'builtin')
  if (source === 'builtin') {
    for (const key of ['url', 'map', 'timeout', ...LEGACY_REFRESH_KEYS]) if (users[key] !== undefined) reader.fail(`users.${key}`, 'is only for users.source: upstream')
    return Object.freeze({ source })
  }
  const map = reader.object(users.map, 'users.map', ['id', 'roles', 'email'])
  const path = (item: unknown, key: string): string | undefined => {
    const text = reader.optionalString(item, `users.map.${key}`)
    if (text !== undefined && !/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(text)) reader.fail(`users.map.${key}`, 'must be a dot path like user.id')
    return text
  }
  return Object.freeze({
    source,
    url: reader.httpUrl(users.url, 'users.url'),
    map: Object.freeze({ id: path(map.id, 'id') ?? 'id', roles: path(map.roles, 'roles'), email: path(map.email, 'email') }),
    timeoutMs: reader.duration(users.timeout, 'users.timeout', '5s', 100, 60_000),
    ...readLegacyRefresh(reader, users)
  })
}

function readHeaders (reader: Reader, value: unknown): IdentityHeaderNames {
  const headers = reader.object(value, 'headers', ['userId', 'roles', 'sessionId', 'assertion', 'drop', 'pass', 'claims', 'preset'])
  const name = (item: unknown, key: string, fallback: string): string => {
    const text = reader.string(item, `headers.${key}`, fallback).toLowerCase()
    if (!HEADER_NAME.test(text)) reader.fail(`headers.${key}`, 'must be a header name (letters, digits, dashes)')
    return text
  }
  const names = {
    userId: name(headers.userId, 'userId', 'x-user-id'),
    roles: name(headers.roles, 'roles', 'x-user-roles'),
    sessionId: name(headers.sessionId, 'sessionId', 'x-session-id'),
    assertion: name(headers.assertion, 'assertion', 'x-authgate-assertion')
  }
  if (new Set(Object.values(names)).size !== 4) reader.fail('headers', 'must name four different headers')
  return Object.freeze(names)
}

/** Validates `raw` into a frozen GatewayConfig; throws ConfigError naming the file and the key. */
export function parseConfig (raw: unknown, options: ParseOptions = {}): GatewayConfig {
  const where = options.file ?? 'configuration'
  const reader = new Reader(where)
  const expanded = expandEnv(raw, options.env ?? {}, where)
  if (typeof expanded !== 'object' || expanded === null || Array.isArray(expanded)) reader.fail('(root)', 'must be an object (a YAML mapping)')
  const top = reader.object(expanded, '', TOP_KEYS)
  const baseDir = options.baseDir ?? (options.file === undefined ? process.cwd() : resolve(options.file, '..'))
  const log = reader.object(top.log, 'log', ['level'])
  const notifications = reader.object(top.notifications, 'notifications', ['newDeviceWebhook'])
  const auth = reader.object(top.auth, 'auth', ['registration', 'allowedOrigins', 'verifyPath'])
  const webhook = notifications.newDeviceWebhook
  const store = readStore(reader, top.store)
  const tokens = readTokens(reader, top.tokens, baseDir)
  // Every instance must read the same ring, and `authgate keys rotate` must reach it: an in-memory ring would be neither.
  if (tokens.keyStore === 'database' && store === undefined) reader.fail('tokens.keyStore', 'database needs store.mongodb')
  const headers = readHeaders(reader, top.headers)
  return Object.freeze({
    file: options.file,
    server: readServer(reader, top.server),
    log: Object.freeze({ level: reader.oneOf(log.level, 'log.level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info') }),
    store,
    tokens,
    cookie: readCookie(reader, top.cookie),
    notifications: Object.freeze({ newDeviceWebhook: webhook === undefined || webhook === null ? undefined : reader.httpUrl(webhook, 'notifications.newDeviceWebhook') }),
    routes: readRoutes(reader, top.routes, AUTH_PREFIX),
    users: readUsers(reader, top.users),
    headers,
    claimHeaders: readClaimHeaders(reader, top.headers, headers),
    verifyPath: readVerifyPath(reader, auth.verifyPath, AUTH_PREFIX),
    headerLists: readHeaderLists(reader, top.headers),
    // Off unless asked for: in front of a legacy API, open self-registration would let any stranger past every
    // `auth: required` route (issue #11 item 9). The plugin keeps its own default.
    registration: reader.boolean(auth.registration, 'auth.registration', false),
    allowedOrigins: Object.freeze(reader.stringList(auth.allowedOrigins, 'auth.allowedOrigins')),
    rateLimit: readRateLimit(reader, top.rateLimit),
    oidc: readOidc(reader, top.oidc)
  })
}
