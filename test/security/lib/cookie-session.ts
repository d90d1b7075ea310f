// Tools for section C: reading Set-Cookie lines (the refresh cookie's value and exact attributes), calling the
// cookie-authenticated endpoints the way a same-origin browser page would, and a store that records everything
// written to it (so "the plaintext refresh token is stored nowhere" can be asserted) and can age the sessions it
// creates (expiry without waiting 30 days).
import { createHash } from 'node:crypto'
import { MemorySessionStore, type SessionStore } from '@authgate/fastify'
import type { NewSession } from '@authgate/fastify/stores'
import type { Outcome } from './case.js'
import { AUDIENCE, ISSUER, type AttackTarget } from './target.js'

export const REFRESH_COOKIE = 'authgate_rt'
export const DEVICE_COOKIE = 'authgate_did'

/** The Set-Cookie lines of an answer (always a list). */
export function setCookies (outcome: Outcome): string[] {
  return [outcome.headers['set-cookie'] ?? []].flat()
}

/** The Set-Cookie line for cookie `name`, or undefined. */
export function cookieLine (outcome: Outcome, name = REFRESH_COOKIE): string | undefined {
  return setCookies(outcome).find((line) => line.startsWith(`${name}=`))
}

/** The refresh token an answer set (non-empty value), or undefined. */
export function issuedToken (outcome: Outcome): string | undefined {
  const value = cookieLine(outcome)?.split(';')[0]?.slice(REFRESH_COOKIE.length + 1)
  return value === undefined || value === '' ? undefined : value
}

/** A Set-Cookie line split into its value and its attributes (names lower case, values as sent). */
export function attributesOf (line: string): { value: string, attributes: Map<string, string> } {
  const [pair = '', ...rest] = line.split(';')
  const attributes = new Map<string, string>()
  for (const part of rest) {
    const equals = part.indexOf('=')
    const name = (equals === -1 ? part : part.slice(0, equals)).trim().toLowerCase()
    attributes.set(name, equals === -1 ? '' : part.slice(equals + 1).trim())
  }
  return { value: pair.slice(pair.indexOf('=') + 1), attributes }
}

/** Headers of a same-origin browser request to the gateway (what a page served by it would send). */
export function sameOrigin (target: AttackTarget, extra: Record<string, string> = {}): Record<string, string> {
  return { origin: target.origin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', ...extra }
}

/** POST /auth/refresh presenting `token` as the refresh cookie (no cookie when undefined). */
export function refresh (target: AttackTarget, token: string | undefined, headers: Record<string, string> = {}): Promise<Outcome> {
  const cookie: Record<string, string> = token === undefined ? {} : { cookie: `${REFRESH_COOKIE}=${token}` }
  return target.request('/auth/refresh', { method: 'POST', headers: { ...sameOrigin(target), ...cookie, ...headers } })
}

export function logout (target: AttackTarget, token: string | undefined, headers: Record<string, string> = {}): Promise<Outcome> {
  const cookie: Record<string, string> = token === undefined ? {} : { cookie: `${REFRESH_COOKIE}=${token}` }
  return target.request('/auth/logout', { method: 'POST', headers: { ...sameOrigin(target), ...cookie, ...headers } })
}

/** GET /api/whoami with `accessToken`: the status and code say whether the session still counts. */
export function useAccess (target: AttackTarget, accessToken: string): Promise<Outcome> {
  return target.request('/api/whoami', { headers: { authorization: `Bearer ${accessToken}` } })
}

export function accessTokenOf (outcome: Outcome): string {
  return (JSON.parse(outcome.body) as { accessToken: string }).accessToken
}

export function hashToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** `tokens:` of a gateway configuration for `target`'s key, with `extra` (e.g. reuseGrace) on top. */
export function tokensConfig (target: AttackTarget, extra: Record<string, unknown>): Record<string, unknown> {
  return { tokens: { keys: [target.key], issuer: ISSUER, audience: AUDIENCE, ...extra } }
}

export interface RecordingStore {
  store: SessionStore
  /** Every argument ever passed to the store, serialised: what a database could hold. */
  written: () => string
  /** Applied to each new session before it is stored (age it, shorten it). */
  adjust: (change: ((session: NewSession) => NewSession) | undefined) => void
}

/** An in-memory store behind a proxy that records every call's arguments and may rewrite created sessions. */
export function recordingStore (): RecordingStore {
  const inner = new MemorySessionStore()
  const calls: string[] = []
  let change: ((session: NewSession) => NewSession) | undefined
  const store = new Proxy(inner, {
    get (target, property) {
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]): unknown => {
        if (property === 'createSession' && change !== undefined) args[0] = change(args[0] as NewSession)
        calls.push(JSON.stringify(args))
        // The store's private fields need the real instance as `this`, not the proxy.
        return (value as (...parameters: unknown[]) => unknown).apply(target, args)
      }
    }
  })
  return { store, written: () => calls.join('\n'), adjust: (next) => { change = next } }
}
