// Reads the lifetime of an access token WITHOUT verifying it. That is fine here: the client is not the party that
// trusts the token (the gateway verifies it on every request), and the only decision taken from these claims is
// when to refresh. A wrong or forged value can at worst cause one early refresh or one 401 that triggers a refresh.

/** Lifetime in seconds (`exp - iat`), or undefined when the token has no readable numeric claims. */
export function tokenLifetimeSeconds (token: string): number | undefined {
  const payload = decodePayload(token)
  if (payload === undefined) return undefined
  const { exp, iat } = payload
  if (typeof exp !== 'number' || typeof iat !== 'number' || exp <= iat) return undefined
  // exp - iat rather than exp - Date.now(): it is immune to a skewed client clock.
  return exp - iat
}

function decodePayload (token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1]
  if (part === undefined || part === '') return undefined
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return typeof value === 'object' && value !== null ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}
