// Cookie name prefixes (RFC 6265bis): browsers store a `__Secure-` cookie only with Secure, and a `__Host-` one only
// with Secure, Path=/ and no Domain. Current browsers match the prefix in any case (`__HOST-` too), so this does.

export type CookiePrefix = '__Host-' | '__Secure-'

/** The prefix `name` carries, in any case, or undefined. */
export function cookiePrefixOf (name: string): CookiePrefix | undefined {
  const lower = name.toLowerCase()
  if (lower.startsWith('__host-')) return '__Host-'
  if (lower.startsWith('__secure-')) return '__Secure-'
  return undefined
}

/** `__Host-` cookies can only be set host-only on Path=/: no sibling or parent domain can set one. */
export function isHostPrefixed (name: string): boolean {
  return cookiePrefixOf(name) === '__Host-'
}

/** `name` without its `__Host-`/`__Secure-` prefix (matched in any case, as browsers do). */
export function unprefixedCookieName (name: string): string {
  const prefix = cookiePrefixOf(name)
  return prefix === undefined ? name : name.slice(prefix.length)
}
