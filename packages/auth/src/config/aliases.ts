// Renamed options keep working (TODO(next-major): drop them): each old spelling is moved to its new place before
// validation, with one warning naming the new key. Giving both is an error: which one was meant is not ours to guess.

type Plain = Record<string, unknown>

const AUTH_KEYS = ['prefix', 'jwksPath', 'registration', 'defaultRoles', 'allowedOrigins', 'publicOrigin', 'reuseDetection'] as const
/** The gateway's former key-ring names, now the plugin's. */
const KEY_RING_KEYS = [['keyStore', 'store'], ['keyEncryptionKey', 'keyEncryptionKey'], ['keyRefresh', 'refreshInterval']] as const

export function isPlainObject (value: unknown): value is Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * A copy of the plain-data part of `value` (objects and arrays), sharing everything else (clients, Buffers,
 * functions): validation fills defaults in, and the caller's object must not change.
 */
export function copyPlain (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyPlain)
  if (!isPlainObject(value)) return value
  const copy: Plain = {}
  // defineProperty: `copy['__proto__'] = …` would set the copy's prototype; kept as an own key, validation refuses it.
  for (const [key, item] of Object.entries(value)) Object.defineProperty(copy, key, { value: copyPlain(item), enumerable: true, writable: true, configurable: true })
  return copy
}

function move (from: Plain, fromKey: string, fromPath: string, to: Plain, toKey: string, toPath: string, out: { warnings: string[], issues: string[] }): void {
  if (!(fromKey in from)) return
  if (to[toKey] !== undefined) out.issues.push(`${fromPath}: and ${toPath} are the same option (${fromPath} is its deprecated name): give only ${toPath}`)
  else {
    to[toKey] = from[fromKey]
    out.warnings.push(`${fromPath} is deprecated: use ${toPath}`)
  }
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the alias is moved out of the options copy
  delete from[fromKey]
}

function section (options: Plain, key: string): Plain | undefined {
  const value = options[key]
  if (value === undefined) {
    const created: Plain = {}
    options[key] = created
    return created
  }
  // Anything else is reported by validation.
  return isPlainObject(value) ? value : undefined
}

/**
 * Moves the gateway file's former key-ring names (tokens.keyStore, keyEncryptionKey, keyRefresh) in `options` (a
 * copy: changed in place). The only aliases a gateway file ever had: the plugin's others are not applied to it.
 */
export function applyKeyRingAliases (options: Plain): { warnings: string[], issues: string[] } {
  const out = { warnings: [] as string[], issues: [] as string[] }
  const tokens = options.tokens
  if (isPlainObject(tokens) && KEY_RING_KEYS.some(([old]) => old in tokens)) {
    const ring = section(tokens, 'keyRing')
    if (ring !== undefined) for (const [old, now] of KEY_RING_KEYS) move(tokens, old, `tokens.${old}`, ring, now, `tokens.keyRing.${now}`, out)
  }
  return out
}

/** Moves the plugin's deprecated spellings in `options` (a copy: changed in place). */
export function applyAliases (options: Plain): { warnings: string[], issues: string[] } {
  const out = applyKeyRingAliases(options)
  const auth = AUTH_KEYS.some((key) => key in options) ? section(options, 'auth') : undefined
  if (auth !== undefined) for (const key of AUTH_KEYS) move(options, key, key, auth, key, `auth.${key}`, out)
  if ('revocationFailClosedAfter' in options) {
    const revocation = section(options, 'revocation')
    if (revocation !== undefined) move(options, 'revocationFailClosedAfter', 'revocationFailClosedAfter', revocation, 'failClosedAfter', 'revocation.failClosedAfter', out)
  }
  return out
}
