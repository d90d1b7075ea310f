// The only place refresh- and device-cookie attributes are set. The refresh cookie is HttpOnly, Secure and
// SameSite=Strict, scoped to the auth prefix (so the browser never sends it to upstream routes), without Domain.
// It is cleared with exactly the same attributes (and Max-Age=0), or browsers keep the old one.
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CookieSerializeOptions } from '@fastify/cookie'
import type { NormalisedOptions } from './options.js'

/** 400 days: the longest lifetime browsers accept for a cookie. */
const DEVICE_COOKIE_MAX_AGE = 400 * 86_400
const DEVICE_ID = /^[A-Za-z0-9_-]{22}$/

export interface CookieJar {
  setRefresh: (reply: FastifyReply, token: string, expiresAt: Date) => void
  clearRefresh: (reply: FastifyReply) => void
  /** The raw refresh cookie value, or undefined. Its format is checked by the session service. */
  readRefresh: (request: FastifyRequest) => string | undefined
  /** The device id from the device cookie, or a new one (then set on the reply). */
  deviceId: (request: FastifyRequest, reply: FastifyReply) => string
}

export function createCookieJar (options: NormalisedOptions['cookie']): CookieJar {
  const base: CookieSerializeOptions = { path: options.path, httpOnly: true, secure: options.secure, sameSite: options.sameSite }
  return {
    setRefresh (reply, token, expiresAt) {
      const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000))
      reply.setCookie(options.name, token, { ...base, maxAge })
    },
    clearRefresh (reply) {
      reply.setCookie(options.name, '', { ...base, maxAge: 0, expires: new Date(0) })
    },
    readRefresh (request) {
      const value = request.cookies[options.name]
      return typeof value === 'string' && value.length > 0 ? value : undefined
    },
    deviceId (request, reply) {
      const current = request.cookies[options.deviceName]
      if (typeof current === 'string' && DEVICE_ID.test(current)) return current
      const id = randomBytes(16).toString('base64url')
      reply.setCookie(options.deviceName, id, { ...base, maxAge: DEVICE_COOKIE_MAX_AGE })
      return id
    }
  }
}
