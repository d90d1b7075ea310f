// The cookie that binds a started sign-in to this browser. The callback is a cross-site top-level GET (from the
// provider), on which a SameSite=Strict cookie is not sent: this one is SameSite=Lax (sent on top-level GETs), HttpOnly,
// Secure as the refresh cookie is, scoped to the OIDC routes, and short-lived. Its value never leaves the browser
// and this server; the login state stores only its hash, so a callback URL replayed in another browser fails.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { countCookies } from './cookie-copies.js'
import { isHostPrefixed, unprefixedCookieName } from '../options/cookie-prefix.js'
import type { NormalisedOptions } from '../options/normalise.js'

const BINDING_VALUE = /^[A-Za-z0-9_-]{43}$/

export interface BindingCookie {
  /** The browser's binding value: the one it holds (several tabs signing in at once share it), or a new one. */
  issue: (request: FastifyRequest, reply: FastifyReply, ttlMs: number) => string
  /** The binding value presented, or undefined (none, malformed, or several copies: never guess which). */
  read: (request: FastifyRequest) => string | undefined
  clear: (reply: FastifyReply) => void
}

export function bindingHash (value: string): string {
  return createHash('sha256').update('authgate-oidc-binding\u0000').update(value).digest('hex')
}

/** Constant time: the stored hash is compared with one derived from an attacker-supplied cookie. */
export function sameHash (a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right)
}

/**
 * `__Host-` whenever the cookie is Secure, whatever the refresh cookie is called: the prefix makes browsers refuse
 * the cookie from a sibling subdomain or over http (cookie tossing a binding value of the attacker's choice), and
 * it asks only for what this cookie is anyway then (Secure, Path=/, no Domain). Without Secure no prefix is possible.
 */
export function bindingCookieName (refreshName: string, secure: boolean): string {
  const bare = unprefixedCookieName(refreshName)
  return secure ? `__Host-${bare}_oidc` : `${bare}_oidc`
}

export function createBindingCookie (cookie: NormalisedOptions['cookie'], prefix: string): BindingCookie {
  const name = bindingCookieName(cookie.name, cookie.secure)
  // Path=/ is what `__Host-` demands; a plain (insecure, development) cookie stays on the OIDC routes.
  const base = { path: isHostPrefixed(name) ? '/' : `${prefix}/oidc`, httpOnly: true, secure: cookie.secure, sameSite: 'lax' as const }
  const read = (request: FastifyRequest): string | undefined => {
    if (countCookies(request.headers.cookie, name) !== 1) return undefined
    const value = request.cookies[name]
    return typeof value === 'string' && BINDING_VALUE.test(value) ? value : undefined
  }
  return {
    issue (request, reply, ttlMs) {
      const value = read(request) ?? randomBytes(32).toString('base64url')
      reply.setCookie(name, value, { ...base, maxAge: Math.ceil(ttlMs / 1000) })
      return value
    },
    read,
    clear (reply) {
      reply.setCookie(name, '', { ...base, maxAge: 0, expires: new Date(0) })
    }
  }
}
