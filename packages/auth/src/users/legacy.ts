// `users: { source: upstream }`: the legacy system keeps owning its users. The plugin POSTs `{ email, password }`
// to its login URL; a 2xx JSON answer names the user (fields picked by `map`), anything else is wrong credentials,
// and an unreachable or slow legacy system is a 503 (an outage must not look like a wrong password).
//
// With `users.refresh: recheck`, refresh POSTs `{ id }` to `users.lookupUrl` (at most once per recheckInterval per
// session): a 2xx JSON answer is the user now (mapped with the same `map`: new roles reach the next access token),
// 404 or 410 with a JSON body means the user is gone (every session revoked, refresh 401), anything else is a 503
// and the session is kept. A 404 without JSON (the HTML or text page of a mistyped lookupUrl path, a proxy in front)
// is not taken for "gone": it would end every session of every user who refreshes. A user whose identity cannot cross HTTP headers (identity-values.ts) is refused with a 503 and a log line:
// the legacy system's data needs fixing, and a login that succeeded would only fail at every proxied request.
import { AuthError } from '../errors.js'
import type { RefreshUser, VerifiedUser, VerifyCredentials } from './types.js'
import type { LegacyUsersConfig } from './legacy-config.js'
import { MAX_FORWARDED_ROLES, isForwardableId, isForwardableRole } from './identity-values.js'

type UpstreamUsers = LegacyUsersConfig

export interface LegacyLogger {
  warn: (object: Record<string, unknown>, message: string) => void
}

function pick (value: unknown, path: string): unknown {
  let current = value
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** The legacy system named a user the gateway cannot forward: its data needs fixing, so say so (503 + log). */
function unforwardable (logger: LegacyLogger | undefined, what: string): AuthError {
  logger?.warn({ event: 'legacy_user_unforwardable', field: what }, `the legacy system answered a ${what} that HTTP headers cannot carry (printable ASCII, no commas): login refused`)
  return new AuthError('AUTH_STORE_UNAVAILABLE', { message: `The user source answered a ${what} the gateway cannot forward` })
}

/**
 * The user named by a legacy answer, or null when the answer names none (no id). Throws AuthError 503 when it names
 * one whose identity cannot be forwarded in headers; role names that cannot are dropped (fewer rights, never more).
 */
export function mapLegacyUser (body: unknown, map: UpstreamUsers['map'], email: string | undefined, logger?: LegacyLogger): VerifiedUser | null {
  const raw = pick(body, map.id)
  if (raw === undefined || raw === null || raw === '') return null
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw
  if (typeof id !== 'string' || !isForwardableId(id)) throw unforwardable(logger, 'user id')
  const user: VerifiedUser = email === undefined ? { id } : { id, email }
  if (map.roles !== undefined) {
    const roles = pick(body, map.roles)
    const list = Array.isArray(roles) ? roles : []
    user.roles = list.filter((role): role is string => isForwardableRole(role))
    if (user.roles.length < list.length) logger?.warn({ event: 'legacy_roles_dropped', dropped: list.length - user.roles.length }, 'role names that HTTP headers cannot carry were dropped')
    if (user.roles.join(',').length > MAX_FORWARDED_ROLES) throw unforwardable(logger, 'role list')
  }
  if (map.email !== undefined) {
    const mapped = pick(body, map.email)
    if (typeof mapped === 'string' && mapped.length > 0) user.email = mapped
  }
  return user
}

interface LegacyAnswer { status: number, body: unknown }

/** The statuses that mean "no such user" — only with a JSON body (a JSON content type and JSON that parses). */
const GONE = new Set([404, 410])
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

/**
 * POSTs `payload` as JSON; the answer's status and (for a 2xx, or a 404/410 of JSON content type) its parsed JSON,
 * undefined when it is not JSON.
 */
async function ask (url: string, payload: unknown, timeoutMs: number, logger: LegacyLogger, what: string): Promise<LegacyAnswer> {
  const outage = (error: unknown): AuthError => {
    logger.warn({ err: error, event: 'legacy_users_unreachable', url: what }, `${what} did not answer`)
    return new AuthError('AUTH_STORE_UNAVAILABLE', { cause: error, retryAfter: 5 })
  }
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs)
    })
  } catch (error) {
    throw outage(error)
  }
  const gone = GONE.has(response.status) && JSON_TYPE.test(response.headers.get('content-type') ?? '')
  if ((response.status < 200 || response.status > 299) && !gone) {
    await response.body?.cancel()
    return { status: response.status, body: undefined }
  }
  try {
    return { status: response.status, body: await response.json() }
  } catch (error) {
    // A timeout while reading the body is an outage too; malformed JSON is just not a user.
    if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') throw outage(error)
    return { status: response.status, body: undefined }
  }
}

export function createLegacyVerifier (users: UpstreamUsers, logger: LegacyLogger): VerifyCredentials {
  return async (email, password) => {
    const answer = await ask(users.url, { email, password }, users.timeoutMs, logger, 'users.url')
    if (answer.status > 299 || answer.body === undefined) return null
    return mapLegacyUser(answer.body, users.map, email, logger)
  }
}

/** The plugin's `refreshUser` over `users.lookupUrl` (only with users.refresh: recheck). */
export function createLegacyLookup (users: UpstreamUsers & { lookupUrl: string }, logger: LegacyLogger): RefreshUser {
  return async (userId, session) => {
    const answer = await ask(users.lookupUrl, { id: userId }, users.timeoutMs, logger, 'users.lookupUrl')
    if (GONE.has(answer.status) && answer.body !== undefined) return null
    const user = answer.status > 299 || answer.body === undefined ? null : mapLegacyUser(answer.body, users.map, session.email ?? undefined, logger)
    if (user === null) {
      // Neither a user nor "gone": a broken answer must not end sessions, and must not extend the old roles either.
      logger.warn({ event: 'legacy_lookup_failed', status: answer.status }, 'users.lookupUrl answered neither a user nor a JSON 404/410')
      throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5 })
    }
    return user
  }
}
