// `users: { source: upstream }`: the legacy system keeps owning its users. The gateway POSTs `{ email, password }`
// to its login URL; a 2xx JSON answer names the user (fields picked by `map`), anything else is wrong credentials,
// and an unreachable or slow legacy system is a 503 (an outage must not look like a wrong password).
import { AuthError, type VerifiedUser, type VerifyCredentials } from '@authgate/fastify'
import type { UsersConfig } from './config.js'

type UpstreamUsers = Extract<UsersConfig, { source: 'upstream' }>

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

/** The user named by a legacy login answer, or null when the answer names none usable. */
export function mapLegacyUser (body: unknown, map: UpstreamUsers['map'], email: string): VerifiedUser | null {
  const id = pick(body, map.id)
  if ((typeof id !== 'string' || id.length === 0 || id.length > 256) && (typeof id !== 'number' || !Number.isSafeInteger(id))) return null
  const user: VerifiedUser = { id: String(id), email }
  if (map.roles !== undefined) {
    const roles = pick(body, map.roles)
    // Roles become a comma-joined header: anything but plain role names is dropped rather than trusted.
    user.roles = Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string' && /^[^,\s\p{Cc}]{1,128}$/u.test(role)) : []
  }
  if (map.email !== undefined) {
    const mapped = pick(body, map.email)
    if (typeof mapped === 'string' && mapped.length > 0) user.email = mapped
  }
  return user
}

export function createLegacyVerifier (users: UpstreamUsers, logger: LegacyLogger): VerifyCredentials {
  return async (email, password) => {
    let response: Response
    try {
      response = await fetch(users.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email, password }),
        redirect: 'manual',
        signal: AbortSignal.timeout(users.timeoutMs)
      })
    } catch (error) {
      logger.warn({ err: error, event: 'legacy_login_unreachable' }, 'users.url did not answer')
      throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: error, retryAfter: 5 })
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel()
      return null
    }
    let body: unknown
    try {
      body = await response.json()
    } catch (error) {
      // A timeout while reading the body is an outage too; malformed JSON is just not a user.
      if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: error, retryAfter: 5 })
      return null
    }
    return mapLegacyUser(body, users.map, email)
  }
}
