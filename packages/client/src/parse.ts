// Narrowing of server answers (and cross-tab messages) to the contract's shapes. JSON is untrusted input: check it
// instead of casting, so a proxy's HTML error page or a changed server surfaces as a clear error, not `undefined`.
import type { AuthUser, SessionInfo } from './types.js'

/** The gateway's own "this access token is no good" codes: the only 401s that a refresh can fix. */
export const TOKEN_ERROR_CODES: ReadonlySet<string> = new Set(['AUTH_TOKEN_EXPIRED', 'AUTH_TOKEN_INVALID', 'AUTH_SESSION_REVOKED'])

export interface TokenAnswer {
  accessToken: string
  expiresIn: number | undefined
  user: AuthUser | null
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isUser (value: unknown): value is AuthUser {
  return isRecord(value) && typeof value.id === 'string'
}

/** Login and refresh answers: `{accessToken, tokenType, expiresIn, user}`. */
export function parseTokenAnswer (body: unknown): TokenAnswer | undefined {
  if (!isRecord(body) || typeof body.accessToken !== 'string' || body.accessToken === '') return undefined
  return {
    accessToken: body.accessToken,
    expiresIn: typeof body.expiresIn === 'number' && body.expiresIn > 0 ? body.expiresIn : undefined,
    user: isUser(body.user) ? body.user : null
  }
}

export function parseSessions (body: unknown): SessionInfo[] | undefined {
  if (!Array.isArray(body)) return undefined
  const sessions: SessionInfo[] = []
  for (const item of body as unknown[]) {
    if (!isRecord(item) || typeof item.id !== 'string') return undefined
    sessions.push({ ...item, id: item.id, createdAt: String(item.createdAt), current: item.current === true })
  }
  return sessions
}

/** The `code` of a JSON error answer, or undefined (not JSON, no code). Reads a clone: the caller keeps the body. */
export async function errorCodeOf (response: Response): Promise<string | undefined> {
  const type = response.headers.get('content-type') ?? ''
  if (!type.includes('json')) return undefined
  try {
    const body: unknown = await response.clone().json()
    return isRecord(body) && typeof body.code === 'string' ? body.code : undefined
  } catch {
    return undefined
  }
}
