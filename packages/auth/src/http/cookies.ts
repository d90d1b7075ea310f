// The only place refresh- and device-cookie attributes are set. The refresh cookie is HttpOnly, Secure and
// SameSite=Strict, scoped to the auth prefix (so the browser never sends it to upstream routes), without Domain.
// It is cleared with exactly the same attributes (and Max-Age=0), or browsers keep the old one. A `__Host-` name
// is set on Path=/ (the prefix demands it): then no sibling subdomain can set a cookie of that name at all.
//
// Several copies of a cookie name on one request are never resolved (http/cookie-copies.ts): the refresh cookie is
// refused with AUTH_REFRESH_AMBIGUOUS, the device cookie is replaced by a new device. Either way every copy the
// browser may hold is expired and a security event logged (names and counts only, never values).
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CookieSerializeOptions } from '@fastify/cookie'
import { AuthError } from '../errors.js'
import { countCookies, tossedCopyLocations } from './cookie-copies.js'
import { isHostPrefixed } from '../options/cookie-prefix.js'
import type { DeviceIdentity } from '../sessions/client-info.js'
import type { NormalisedOptions } from '../options/normalise.js'

/** 400 days: the longest lifetime browsers accept for a cookie. */
const DEVICE_COOKIE_MAX_AGE = 400 * 86_400
const DEVICE_COOKIE_VALUE = /^[A-Za-z0-9_-]{22}$/

/** A device cookie value as authgate writes it (16 random bytes, base64url): what sessions stored before opaque ids. */
export function isDeviceCookieValue (value: string): boolean {
  return DEVICE_COOKIE_VALUE.test(value)
}

export interface CookieJar {
  setRefresh: (reply: FastifyReply, token: string, expiresAt: Date) => void
  clearRefresh: (reply: FastifyReply) => void
  /**
   * The raw refresh cookie value, or undefined. Its format is checked by the session service. With more than one
   * refresh cookie on the request, every copy is expired on `reply` and AuthError AUTH_REFRESH_AMBIGUOUS thrown.
   */
  readRefresh: (request: FastifyRequest, reply: FastifyReply) => string | undefined
  /**
   * This browser's device: an opaque id derived from the device cookie, never the cookie value itself (the id is
   * listed, stored and sent in events; the cookie stays a secret). A new device cookie is set when there is none,
   * a malformed one, or several copies.
   */
  device: (request: FastifyRequest, reply: FastifyReply) => DeviceIdentity
}


/**
 * The id shown for a device cookie value: SHA-256 under a fixed label, base64url (43 characters). The value has 128
 * random bits, so the id cannot be turned back into the cookie.
 */
export function opaqueDeviceId (cookieValue: string): string {
  return createHash('sha256').update('authgate-device\u0000').update(cookieValue).digest('base64url')
}

export function createCookieJar (options: NormalisedOptions['cookie']): CookieJar {
  const attributes = (name: string): CookieSerializeOptions => ({
    path: isHostPrefixed(name) ? '/' : options.path, httpOnly: true, secure: options.secure, sameSite: options.sameSite
  })
  const refreshBase = attributes(options.name)
  const deviceBase = attributes(options.deviceName)
  // The endpoints that read each cookie: a tossed copy matters wherever the browser sends it to one of them.
  const readers = {
    [options.name]: [`${options.path}/refresh`, `${options.path}/logout`],
    [options.deviceName]: [`${options.path}/login`]
  }

  /** Expires `name` everywhere a copy may live (our own Path first), and logs the security event. */
  function expireCopies (request: FastifyRequest, reply: FastifyReply, name: string, copies: number): void {
    const base = attributes(name)
    const expired: CookieSerializeOptions = { ...base, maxAge: 0, expires: new Date(0) }
    reply.setCookie(name, '', expired)
    // A `__Host-` cookie exists only host-only on Path=/: no other copy can be there to expire.
    if (!isHostPrefixed(name)) {
      for (const { path, domain } of tossedCopyLocations(readers[name] ?? [], request.hostname)) {
        if (path === base.path && domain === undefined) continue
        reply.setCookie(name, '', { ...expired, path, ...(domain === undefined ? {} : { domain }) })
      }
    }
    request.log.warn({ event: 'cookie_ambiguous', cookie: name === options.name ? 'refresh' : 'device', copies, ip: request.ip },
      'authgate: several cookies of one name (cookie tossing?): all expired, none used')
  }

  return {
    setRefresh (reply, token, expiresAt) {
      const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000))
      reply.setCookie(options.name, token, { ...refreshBase, maxAge })
    },
    clearRefresh (reply) {
      reply.setCookie(options.name, '', { ...refreshBase, maxAge: 0, expires: new Date(0) })
    },
    readRefresh (request, reply) {
      const copies = countCookies(request.headers.cookie, options.name)
      if (copies > 1) {
        expireCopies(request, reply, options.name, copies)
        throw new AuthError('AUTH_REFRESH_AMBIGUOUS')
      }
      const value = request.cookies[options.name]
      return typeof value === 'string' && value.length > 0 ? value : undefined
    },
    device (request, reply) {
      const copies = countCookies(request.headers.cookie, options.deviceName)
      // Several device cookies: which device this is cannot be told, so it is a new one (a login is not refused:
      // a sibling subdomain must not be able to block sign-in).
      if (copies > 1) expireCopies(request, reply, options.deviceName, copies)
      const current = copies === 1 ? request.cookies[options.deviceName] : undefined
      if (typeof current === 'string' && isDeviceCookieValue(current)) return { id: opaqueDeviceId(current), legacyId: current }
      const value = randomBytes(16).toString('base64url')
      reply.setCookie(options.deviceName, value, { ...deviceBase, maxAge: DEVICE_COOKIE_MAX_AGE })
      return { id: opaqueDeviceId(value) }
    }
  }
}
