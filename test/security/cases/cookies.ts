// docs/security.md section C (Refresh tokens, cookies, CSRF, logout), sent to the gateway of lib/target.ts. Cases
// that log in start their own gateway (target.fresh): fresh rate-limit state, and a store nobody else writes to.
// Facts a case learns along the way (later answers, store contents) travel as notes to its `check`.
import type { AttackCase, CaseGroup, Expectation, Outcome } from '../lib/case.js'
import { PASSWORD } from '../lib/target.js'
import { everyVariant } from '../lib/variants.js'
import { attach, evidenceOf, exchange, rawHttp } from '../lib/gateway-wire.js'
import {
  DEVICE_COOKIE, REFRESH_COOKIE, accessTokenOf, attributesOf, cookieLine, hashToken, issuedToken, logout, recordingStore, refresh,
  sameOrigin, setCookies, tokensConfig, useAccess
} from '../lib/cookie-session.js'
import { MemorySessionStore } from '@authgate/fastify'
import { sessionList, tossing } from './cookies-tossing.js'
import { holdSocket, sidOf, startEchoWsUpstream, type HeldSocket } from '../lib/websocket-session.js'

const DAY = 86_400
const REFRESH_TTL = 30 * DAY

function fail (problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(problems.slice(0, 5).join('; '))
}

function withNotes (outcome: Outcome, notes: readonly (string | false)[]): Outcome {
  return attach(outcome, { arrived: [], notes: notes.filter((note): note is string => note !== false) })
}

const checkNotes = (outcome: Outcome): void => { fail(evidenceOf(outcome).notes ?? []) }

/** Problems with a refresh Set-Cookie line: exactly `authgate_rt=<43 base64url>; Max-Age; Path=/auth; HttpOnly; Secure; SameSite=Strict`. */
function refreshCookieProblems (line: string | undefined, maxAge: (seconds: number) => boolean): string[] {
  if (line === undefined) return ['no refresh cookie']
  const { value, attributes } = attributesOf(line)
  const names = [...attributes.keys()].sort().join(',')
  return [
    ...(/^[A-Za-z0-9_-]{43,}$/.test(value) ? [] : ['the value is not ≥ 43 base64url characters']),
    ...(names === 'httponly,max-age,path,samesite,secure' ? [] : [`attributes ${names}`]),
    ...(attributes.get('path') === '/auth' ? [] : [`Path=${attributes.get('path') ?? ''}`]),
    ...(attributes.get('samesite') === 'Strict' ? [] : [`SameSite=${attributes.get('samesite') ?? ''}`]),
    ...(maxAge(Number(attributes.get('max-age'))) ? [] : [`Max-Age=${attributes.get('max-age') ?? ''}`])
  ]
}

/** A JSON session answer must not carry the refresh token in any form. */
function bodyProblems (outcome: Outcome): string[] {
  const token = issuedToken(outcome)
  return [
    ...(token !== undefined && outcome.body.includes(token) ? ['the refresh token is in the body'] : []),
    ...(/refresh/i.test(outcome.body) ? ['the body names a refresh token'] : [])
  ]
}

const UNAUTHORISED: Expectation = { status: 401, code: 'AUTH_REFRESH_INVALID', upstream: 'n/a' }
const CROSS_SITE: Expectation = { status: 403, code: 'AUTH_CROSS_SITE', upstream: 'n/a' }

/** A garbage cookie or body offered to /auth/refresh. */
interface Garbage { cookie?: string, body?: string }

const GARBAGE: readonly Garbage[] = [
  {}, { cookie: `${REFRESH_COOKIE}=` }, { cookie: `${REFRESH_COOKIE}=garbage!!` }, { cookie: `${REFRESH_COOKIE}=${'a'.repeat(10_240)}` },
  { cookie: `${REFRESH_COOKIE}=j:{"$ne":""}` }, { cookie: `${REFRESH_COOKIE}=j%3A%7B%22%24ne%22%3A%22%22%7D` }, { cookie: `${REFRESH_COOKIE}=%00%00` },
  { cookie: `${REFRESH_COOKIE}="${'b'.repeat(43)}"` },
  { cookie: `${REFRESH_COOKIE}=${'e'.repeat(42)}=` }, { cookie: `${REFRESH_COOKIE}[$ne]=x` },
  { body: '{"refreshToken":{"$ne":null}}' }, { body: '{"authgate_rt":{"$gt":""}}' }
]

const rotation: AttackCase[] = [
  {
    id: 'C.37',
    name: 'the refresh cookie set by login and by refresh, attribute by attribute',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      // login() registers the user; the second login is the answer inspected here, headers and all.
      await gateway.login('c37@example.test')
      const session = await gateway.request('/auth/login', { method: 'POST', headers: sameOrigin(gateway), body: JSON.stringify({ email: 'c37@example.test', password: PASSWORD }) })
      const rotated = await refresh(gateway, issuedToken(session))
      const device = attributesOf(cookieLine(session, DEVICE_COOKIE) ?? '')
      const inThirtyDays = (seconds: number): boolean => seconds > REFRESH_TTL - 60 && seconds <= REFRESH_TTL
      return withNotes(rotated, [
        ...refreshCookieProblems(cookieLine(session), inThirtyDays).map((problem) => `login: ${problem}`),
        ...refreshCookieProblems(cookieLine(rotated), inThirtyDays).map((problem) => `refresh: ${problem}`),
        ...bodyProblems(session).map((problem) => `login: ${problem}`),
        ...bodyProblems(rotated).map((problem) => `refresh: ${problem}`),
        session.headers['cache-control'] !== 'no-store' && 'login answer is cacheable',
        !(device.attributes.has('httponly') && device.attributes.has('secure') && device.attributes.get('samesite') === 'Strict') && 'device cookie lacks HttpOnly/Secure/SameSite=Strict',
        [...device.attributes.keys(), ...attributesOf(cookieLine(rotated) ?? '').attributes.keys()].includes('domain') && 'a cookie has a Domain'
      ])
    },
    check: checkNotes,
    also: 'exactly `Max-Age≈30 d; Path=/auth; HttpOnly; Secure; SameSite=Strict`, no Domain; the token is in no body; `Cache-Control: no-store`'
  },
  {
    id: 'C.38',
    name: 'rotation: `POST /auth/refresh` with RT1',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const recorder = recordingStore()
      const gateway = await target.fresh({ store: recorder.store })
      const { refreshToken: first } = await gateway.login('c38@example.test')
      const rotated = await refresh(gateway, first)
      const second = issuedToken(rotated) ?? ''
      const current = await recorder.store.findByTokenHash(hashToken(second), new Date(), new Date(0))
      const retired = await recorder.store.findByPreviousHash(hashToken(first))
      const api = await useAccess(gateway, accessTokenOf(rotated))
      return withNotes(rotated, [
        (second === '' || second === first) && 'RT2 is missing or equals RT1',
        current === null && 'hash(RT2) is not the current token',
        (retired === null || retired.id !== current?.id || retired.familyId !== current.familyId) && 'hash(RT1) is not retired in the same family',
        await recorder.store.findByTokenHash(hashToken(first), new Date(), new Date(0)) !== null && 'RT1 is still current',
        (recorder.written().includes(first) || recorder.written().includes(second)) && 'a plaintext refresh token reached the store',
        api.status !== 200 && `the new access token answered ${api.status}`
      ])
    },
    check: checkNotes,
    also: 'RT2 ≠ RT1; store: hash(RT2) current, hash(RT1) retired, same family; no plaintext token in anything written to the store; the new access token works'
  },
  {
    id: 'C.39',
    name: 'reuse: RT1 again after the grace window (`reuseGrace: 1s`)',
    expect: { status: 401, code: 'AUTH_REFRESH_REUSED', upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh({ key: target.key, config: tokensConfig(target, { reuseGrace: '1s' }) })
      const events: string[] = []
      gateway.app.authgate.events.on('refreshReuse', (event) => { events.push(`${event.classification}:${String(event.revoked)}`) })
      const { refreshToken: first } = await gateway.login('c39@example.test')
      const rotated = await refresh(gateway, first)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      const reused = await refresh(gateway, first)
      const successor = await refresh(gateway, issuedToken(rotated))
      const access = await useAccess(gateway, accessTokenOf(rotated))
      return withNotes(reused, [
        successor.status !== 401 && `RT2 answered ${successor.status}`,
        access.code !== 'AUTH_SESSION_REVOKED' && `RT2's access token answered ${access.status} ${access.code ?? ''}`,
        !(events.length === 1 && events[0]?.endsWith(':true')) && `refreshReuse events: ${events.join(',')}`,
        attributesOf(cookieLine(reused) ?? '').attributes.get('max-age') !== '0' && 'the cookie was not cleared'
      ])
    },
    check: checkNotes,
    also: 'the family is revoked: RT2 → 401 and its access token → 401 `AUTH_SESSION_REVOKED`; one `refreshReuse` event (revoked); cookie cleared'
  },
  {
    id: 'C.40',
    name: '10 parallel refreshes with RT1 inside the grace window, then one more retry',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      let reuse = 0
      gateway.app.authgate.events.on('refreshReuse', () => { reuse++ })
      const { refreshToken: first } = await gateway.login('c40@example.test')
      const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(gateway, first)))
      const retry = await refresh(gateway, first)
      const successors = new Set([...answers, retry].map((answer) => issuedToken(answer)))
      const next = await refresh(gateway, [...successors][0])
      const failed = [...answers, retry].find((answer) => answer.status !== 200)
      return withNotes(failed ?? next, [
        successors.size !== 1 && `${successors.size} different successors: the family forked`,
        next.status !== 200 && `the successor answered ${next.status}`,
        reuse !== 0 && `${reuse} reuse events`
      ])
    },
    check: checkNotes,
    also: 'all 200 with the same successor RT2 (no fork); RT2 then refreshes; no reuse event, no revocation'
  },
  {
    id: 'C.41',
    name: '50 concurrent refreshes with one RT across two gateway instances sharing a store',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const store = new MemorySessionStore()
      const one = await target.fresh({ store, key: target.key })
      const two = await target.fresh({ store, key: target.key })
      const { refreshToken: first } = await one.login('c41@example.test')
      const answers = await Promise.all(Array.from({ length: 50 }, (_, index) => refresh(index % 2 === 0 ? one : two, first)))
      const successors = new Set(answers.map((answer) => issuedToken(answer)))
      const successor = [...successors][0] ?? ''
      const current = await store.findByTokenHash(hashToken(successor), new Date(), new Date(0))
      const sessions = await two.request('/auth/sessions', { headers: { authorization: `Bearer ${accessTokenOf(answers[0] as Outcome)}` } })
      const next = await refresh(two, successor)
      const failed = answers.find((answer) => answer.status !== 200)
      return withNotes(failed ?? next, [
        successors.size !== 1 && `${successors.size} different successors`,
        current === null && 'the successor is not current',
        sessions.status !== 200 || (JSON.parse(sessions.body) as unknown[]).length !== 1 ? `sessions: ${sessions.status} ${sessions.body.slice(0, 80)}` : false
      ])
    },
    check: checkNotes,
    also: 'all 200 with one successor; the family has exactly one live session whose current token is that successor'
  }
]

const garbage: AttackCase[] = [
  {
    id: 'C.42',
    name: 'garbage refresh cookies (missing, empty, 10 kB, `j:{"$ne":""}`, quoted…) and operator bodies',
    expect: UNAUTHORISED,
    attack: (target) => everyVariant(GARBAGE, UNAUTHORISED, (variant) => target.request('/auth/refresh', {
      method: 'POST',
      headers: { ...sameOrigin(target), ...(variant.cookie === undefined ? {} : { cookie: variant.cookie }) },
      ...(variant.body === undefined ? {} : { body: variant.body })
    }))
  },
  {
    id: 'C.42',
    name: 'a valid refresh token in the query string, a JSON body, `Authorization` or a custom header (no cookie)',
    expect: UNAUTHORISED,
    attack: async (target) => {
      const gateway = await target.fresh()
      const { refreshToken } = await gateway.login('c42@example.test')
      const carriers: readonly [string, Record<string, string>, string | undefined][] = [
        [`/auth/refresh?${REFRESH_COOKIE}=${refreshToken}&refresh_token=${refreshToken}`, {}, undefined],
        ['/auth/refresh', {}, JSON.stringify({ refreshToken, refresh_token: refreshToken, [REFRESH_COOKIE]: refreshToken })],
        ['/auth/refresh', { authorization: `Bearer ${refreshToken}` }, undefined],
        ['/auth/refresh', { 'x-refresh-token': refreshToken }, undefined]
      ]
      const outcome = await everyVariant(carriers, UNAUTHORISED, ([path, headers, body]) => gateway.request(path, {
        method: 'POST', headers: { ...sameOrigin(gateway), ...headers }, ...(body === undefined ? {} : { body })
      }))
      const still = await refresh(gateway, refreshToken)
      return withNotes(outcome, [still.status !== 200 && `the cookie afterwards answered ${still.status}: it was rotated or revoked`])
    },
    check: checkNotes,
    also: 'none of them rotates the token: the cookie still refreshes afterwards'
  },
  {
    id: 'C.43',
    name: 'a stored session past its absolute expiry, and one idle past the idle timeout (no TTL sweep ran)',
    expect: UNAUTHORISED,
    attack: async (target) => {
      const recorder = recordingStore()
      const gateway = await target.fresh({ store: recorder.store })
      recorder.adjust((session) => ({ ...session, expiresAt: new Date(Date.now() + 1000) }))
      const expiring = await gateway.login('c43a@example.test')
      recorder.adjust((session) => ({ ...session, lastUsedAt: new Date(Date.now() - 31 * DAY * 1000) }))
      const idle = await gateway.login('c43b@example.test')
      recorder.adjust(undefined)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      return everyVariant([expiring.refreshToken, idle.refreshToken], UNAUTHORISED, (token) => refresh(gateway, token))
    }
  }
]

const csrf: AttackCase[] = [
  {
    id: 'C.44',
    name: 'cross-site `POST /auth/refresh`: evil `Origin`, `Origin: null`, `Sec-Fetch-Site: cross-site`, other port; form and text bodies',
    expect: CROSS_SITE,
    attack: async (target) => {
      const gateway = await target.fresh()
      const { refreshToken } = await gateway.login('c44@example.test')
      const cookie = `${REFRESH_COOKIE}=${refreshToken}`
      const variants: readonly Record<string, string>[] = [
        { origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' },
        { origin: 'http://127.0.0.1:1' }, { origin: `${gateway.origin}.evil.example` },
        { origin: 'https://evil.example', 'content-type': 'text/plain' }, { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
        { origin: gateway.origin, 'sec-fetch-site': 'cross-site' }
      ]
      const outcome = await everyVariant(variants, CROSS_SITE, (headers) => gateway.request('/auth/refresh', { method: 'POST', headers: { cookie, ...headers }, body: 'a=b' }))
      const after = await refresh(gateway, refreshToken)
      return withNotes(outcome, [
        setCookies(outcome).length > 0 && 'the refusal set a cookie',
        after.status !== 200 && `the same-origin refresh afterwards answered ${after.status}: the token was rotated or revoked`
      ])
    },
    check: checkNotes,
    also: 'no Set-Cookie; RT1 was not rotated (a same-origin refresh with it still succeeds)'
  },
  {
    id: 'C.44',
    name: 'cross-site `POST /auth/logout` (`Origin: https://evil.example`, or `Sec-Fetch-Site: cross-site`)',
    expect: CROSS_SITE,
    attack: async (target) => {
      const gateway = await target.fresh()
      const { refreshToken } = await gateway.login('c44b@example.test')
      const variants: readonly Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }]
      const outcome = await everyVariant(variants, CROSS_SITE,
        (headers) => gateway.request('/auth/logout', { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${refreshToken}`, 'content-type': 'text/plain', ...headers }, body: 'x' }))
      const after = await refresh(gateway, refreshToken)
      return withNotes(outcome, [after.status !== 200 && `the session was ended (refresh answered ${after.status})`])
    },
    check: checkNotes,
    also: 'the session survives: its token still refreshes'
  },
  {
    id: 'C.44',
    name: '`GET`/`PUT`/`DELETE` on `/auth/logout`, `/auth/refresh`, `/auth/logout-all`',
    expect: { status: 405, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' },
    attack: (target) => {
      const calls = ['/auth/logout', '/auth/refresh', '/auth/logout-all'].flatMap((path) => ['GET', 'PUT', 'DELETE'].map((method) => [method, path] as const))
      return everyVariant(calls, { status: 405, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' }, ([method, path]) => target.request(path, { method }))
    },
    check: (outcome) => { fail(outcome.headers.allow === 'POST' ? [] : ['no `Allow: POST`']) },
    also: '`Allow: POST`'
  },
  {
    id: 'C.44',
    name: 'behind `trustProxy` (true, a hop count, the proxy\'s address), no `server.publicOrigin`: a forged `X-Forwarded-Host` with a matching evil `Origin` on `/auth/refresh` and `/auth/logout`',
    expect: CROSS_SITE,
    attack: async (target) => {
      let outcome: Outcome | undefined
      const notes: string[] = []
      for (const trustProxy of [true, 1, '127.0.0.1']) {
        const gateway = await target.fresh({ config: { server: { trustProxy } } })
        const { refreshToken } = await gateway.login('c44d@example.test')
        const cookie = `${REFRESH_COOKIE}=${refreshToken}`
        const variants: ReadonlyArray<readonly [string, Record<string, string>]> = [
          ['/auth/refresh', { 'x-forwarded-host': 'evil.example', origin: 'http://evil.example' }],
          ['/auth/refresh', { 'x-forwarded-host': 'evil.example', origin: 'https://evil.example', 'x-forwarded-proto': 'https' }],
          ['/auth/refresh', { 'x-forwarded-host': `${new URL(gateway.origin).host}, evil.example:8443`, origin: 'https://evil.example:8443' }],
          ['/auth/refresh', { 'x-forwarded-host': 'evil.example', origin: 'http://evil.example', 'sec-fetch-site': 'same-origin' }],
          ['/auth/refresh', { forwarded: 'for=127.0.0.1;host=evil.example;proto=http', origin: 'http://evil.example' }],
          ['/auth/refresh', { 'x-forwarded-host': 'EVIL.example.', origin: 'http://evil.example' }],
          // No own origin is configured behind a proxy: even the gateway's own Host is not taken from the request.
          ['/auth/refresh', { origin: gateway.origin }],
          ['/auth/logout', { 'x-forwarded-host': 'evil.example', origin: 'http://evil.example' }]
        ]
        outcome = await everyVariant(variants, CROSS_SITE, ([path, headers]) => gateway.request(path, { method: 'POST', headers: { cookie, 'content-type': 'text/plain', ...headers }, body: 'x' }))
        if (outcome.status !== 403) return outcome
        // Without Origin (curl, server to server): no ambient browser credentials, so no cross-site check.
        const after = await gateway.request('/auth/refresh', { method: 'POST', headers: { cookie } })
        if (after.status !== 200) notes.push(`trustProxy ${String(trustProxy)}: the token was rotated or revoked (refresh answered ${after.status})`)
      }
      return withNotes(outcome as Outcome, notes)
    },
    check: checkNotes,
    also: 'the session is untouched (a refresh without Origin still succeeds)'
  },
  {
    id: 'C.44',
    name: 'behind `trustProxy` with `server.publicOrigin`: forged `X-Forwarded-Host` (evil host, or the public one) with an `Origin` other than the public origin',
    expect: CROSS_SITE,
    attack: async (target) => {
      const gateway = await target.fresh({ config: { server: { trustProxy: true, publicOrigin: 'https://app.example.test' } } })
      const { refreshToken } = await gateway.login('c44e@example.test')
      const variants: readonly Record<string, string>[] = [
        { 'x-forwarded-host': 'evil.example', origin: 'https://evil.example', 'x-forwarded-proto': 'https' },
        { 'x-forwarded-host': 'evil.example', origin: 'http://evil.example' },
        { 'x-forwarded-host': 'app.example.test', origin: 'http://app.example.test' },
        { 'x-forwarded-host': 'app.example.test:444', origin: 'https://app.example.test:444' },
        { origin: gateway.origin }
      ]
      return everyVariant(variants, CROSS_SITE, (headers) => gateway.request('/auth/refresh', { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${refreshToken}`, ...headers } }))
    }
  },
  {
    id: 'C.44',
    name: 'behind `trustProxy` with `server.publicOrigin`: `POST /auth/refresh` from the public origin, the control case',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh({ config: { server: { trustProxy: true, publicOrigin: 'https://app.example.test' } } })
      const { refreshToken } = await gateway.login('c44f@example.test')
      return gateway.request('/auth/refresh', { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${refreshToken}`, origin: 'https://app.example.test', 'x-forwarded-host': 'app.example.test', 'x-forwarded-proto': 'https' } })
    }
  },
  {
    id: 'C.44',
    name: 'with `cookie.sameSite: none`, `POST /auth/refresh` with neither `Origin` nor `Sec-Fetch-Site` (an old browser): no Referer, a foreign one, or one that is no URL',
    expect: CROSS_SITE,
    attack: async (target) => {
      const gateway = await target.fresh({ config: { cookie: { sameSite: 'none', secure: true }, auth: { registration: true, allowedOrigins: ['https://spa.example.test'] } } })
      const { refreshToken } = await gateway.login('c44g@example.test')
      const variants: readonly Record<string, string>[] = [
        {},
        { referer: 'https://evil.example/page' },
        { referer: 'https://spa.example.test.evil.example/' },
        { referer: 'about:blank' }
      ]
      return everyVariant(variants, CROSS_SITE, (headers) => gateway.request('/auth/refresh', { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${refreshToken}`, ...headers } }))
    }
  },
  {
    id: 'C.44',
    name: 'with `cookie.sameSite: none`, `POST /auth/refresh` with only a Referer on an allowed origin, the control case',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh({ config: { cookie: { sameSite: 'none', secure: true }, auth: { registration: true, allowedOrigins: ['https://spa.example.test'] } } })
      const { refreshToken } = await gateway.login('c44h@example.test')
      return gateway.request('/auth/refresh', { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${refreshToken}`, referer: 'https://spa.example.test/app' } })
    }
  },
  {
    id: 'C.44',
    name: 'same-origin `POST /auth/refresh` (own `Origin`, JSON, `Sec-Fetch-Site: same-origin`), the control case',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      const { refreshToken } = await gateway.login('c44c@example.test')
      return refresh(gateway, refreshToken)
    }
  }
]

const endings: AttackCase[] = [
  {
    id: 'C.45',
    name: '`POST /auth/logout`, then the same refresh token replayed, then a second logout',
    expect: { status: 204, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      const { refreshToken, accessToken } = await gateway.login('c45@example.test')
      const ended = await logout(gateway, refreshToken)
      const replay = await refresh(gateway, refreshToken)
      const again = await logout(gateway, refreshToken)
      const bare = await logout(gateway, undefined)
      const access = await useAccess(gateway, accessToken)
      return withNotes(ended, [
        cookieLine(ended) !== `${REFRESH_COOKIE}=; Max-Age=0; Path=/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict` && `clearing cookie: ${cookieLine(ended) ?? 'none'}`,
        replay.code !== 'AUTH_REFRESH_INVALID' && `replay answered ${replay.status} ${replay.code ?? ''}`,
        again.status !== 204 && `second logout answered ${again.status}`,
        bare.status !== 204 && `logout without a cookie answered ${bare.status}`,
        access.code !== 'AUTH_SESSION_REVOKED' && `the session's access token answered ${access.status} ${access.code ?? ''}`
      ])
    },
    check: checkNotes,
    also: 'the clearing cookie has the same Path/attributes and `Max-Age=0`; replay → 401 `AUTH_REFRESH_INVALID` (not reuse); second logout and logout without cookie → 204; the access token → 401 `AUTH_SESSION_REVOKED`'
  },
  {
    id: 'C.46',
    name: '`POST /auth/logout-all` from device A, then device B\'s refresh token',
    expect: UNAUTHORISED,
    attack: async (target) => {
      const gateway = await target.fresh()
      const a = await gateway.login('c46@example.test')
      const b = await gateway.login('c46@example.test')
      const all = await gateway.request('/auth/logout-all', { method: 'POST', headers: { authorization: `Bearer ${a.accessToken}` } })
      const outcome = await refresh(gateway, b.refreshToken)
      const ownAccess = await useAccess(gateway, b.accessToken)
      const own = await refresh(gateway, a.refreshToken)
      return withNotes(outcome, [
        all.status !== 204 && `logout-all answered ${all.status}`,
        ownAccess.code !== 'AUTH_SESSION_REVOKED' && `device B's access token answered ${ownAccess.status}`,
        own.status !== 401 && `device A's refresh token answered ${own.status}`
      ])
    },
    check: checkNotes,
    also: 'logout-all → 204; B\'s access token → 401 `AUTH_SESSION_REVOKED`; A\'s refresh token → 401 too'
  },
  {
    id: 'C.46',
    name: '`DELETE /auth/sessions?others=true` from device A, then device B\'s refresh token',
    expect: UNAUTHORISED,
    attack: async (target) => {
      const gateway = await target.fresh()
      const a = await gateway.login('c46b@example.test')
      const b = await gateway.login('c46b@example.test')
      const others = await gateway.request('/auth/sessions?others=true', { method: 'DELETE', headers: { authorization: `Bearer ${a.accessToken}` } })
      const outcome = await refresh(gateway, b.refreshToken)
      const own = await refresh(gateway, a.refreshToken)
      return withNotes(outcome, [others.status !== 204 && `revoke-others answered ${others.status}`, own.status !== 200 && `device A's own session answered ${own.status}`])
    },
    check: checkNotes,
    also: 'device A keeps its session'
  },
  {
    id: 'C.46',
    name: 'a WebSocket held open on instance B while its session is ended on instance A (`logout-all`, `DELETE /auth/sessions/:id`)',
    expect: { status: 4401, upstream: 'n/a' },
    attack: async (target) => {
      const delayMs = 1000
      const upstream = await startEchoWsUpstream()
      const held: HeldSocket[] = []
      try {
        const store = new MemorySessionStore()
        const config = { ...tokensConfig(target, { revocationDelay: `${delayMs}ms` }), routes: [{ prefix: '/ws', upstream: upstream.url, auth: 'required', websocket: true }] }
        const a = await target.fresh({ store, key: target.key, config })
        const b = await target.fresh({ store, key: target.key, config })
        const bearer = (token: string): RequestInit['headers'] => ({ authorization: `Bearer ${token}` })
        const notes: string[] = []
        let outcome: Outcome | undefined
        const revocations = [
          ['DELETE /auth/sessions/:id', (token: string) => a.request(`/auth/sessions/${sidOf(token)}`, { method: 'DELETE', headers: bearer(token) })],
          ['logout-all', (token: string) => a.request('/auth/logout-all', { method: 'POST', headers: bearer(token) })]
        ] as const
        for (const [index, [name, revoke]] of revocations.entries()) {
          const session = await a.login(`c46c-${index}@example.test`)
          const bystander = await a.login(`c46d-${index}@example.test`)
          const socket = await holdSocket(b.origin, '/ws/chat', session.accessToken)
          const other = await holdSocket(b.origin, '/ws/chat', bystander.accessToken)
          held.push(socket, other)
          const revokedAt = Date.now()
          const ended = await revoke(session.accessToken)
          if (ended.status !== 204) notes.push(`${name} answered ${ended.status}`)
          const closed = await socket.closeWithin(delayMs + 3000)
          if (closed === 'open') return withNotes({ status: 0, code: undefined, headers: {}, body: `${name}: still open ${delayMs + 3000} ms after the revocation` }, notes)
          if (closed.reason !== 'session revoked') notes.push(`${name}: close reason ${JSON.stringify(closed.reason)}`)
          if (closed.at - revokedAt > delayMs + 1000) notes.push(`${name}: closed ${closed.at - revokedAt} ms after the revocation (revocationDelay ${delayMs} ms)`)
          if (other.socket.readyState !== other.socket.OPEN) notes.push(`${name}: another session's socket was closed too`)
          outcome = { status: closed.code, code: undefined, headers: {}, body: closed.reason }
        }
        return withNotes(outcome as Outcome, notes)
      } finally {
        for (const { socket } of held) socket.terminate()
        await upstream.close()
      }
    },
    check: checkNotes,
    also: 'close reason `session revoked`, within `revocationDelay` (+1 s) of the revocation on the other instance; another session\'s socket stays open'
  },
  {
    id: 'C.47',
    name: 'fixation: the victim logs in while an attacker-planted `authgate_rt` (the attacker\'s own valid token) is present',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      const attacker = await gateway.login('attacker@example.test')
      const victim = await gateway.login('victim@example.test')
      const login = await gateway.request('/auth/login', {
        method: 'POST', headers: { ...sameOrigin(gateway), cookie: `${REFRESH_COOKIE}=${attacker.refreshToken}; ${DEVICE_COOKIE}=AAAAAAAAAAAAAAAAAAAAAA` },
        body: JSON.stringify({ email: 'victim@example.test', password: PASSWORD })
      })
      const issued = issuedToken(login)
      const planted = await refresh(gateway, attacker.refreshToken)
      const plantedUser = planted.status === 200 ? (JSON.parse(planted.body) as { user: { id: string } }).user.id : ''
      return withNotes(login, [
        (issued === undefined || issued === attacker.refreshToken) && 'no new refresh token was issued',
        plantedUser === victim.userId && 'the planted token now opens the victim\'s session',
        planted.status === 200 && plantedUser !== attacker.userId && `the planted token answered ${planted.status} for ${plantedUser}`
      ])
    },
    check: checkNotes,
    also: 'a new refresh token is issued; the planted one still belongs to the attacker\'s own session, never the victim\'s'
  },
  {
    id: 'C.48',
    name: 'device data: 10 kB or non-ASCII `User-Agent`, none at all, spoofed `X-Forwarded-For`, then refresh from "elsewhere"',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      const { refreshToken } = await gateway.login('c48@example.test')
      const body = JSON.stringify({ email: 'c48@example.test', password: PASSWORD })
      const logins = [
        await gateway.request('/auth/login', { method: 'POST', headers: sameOrigin(gateway, { 'user-agent': 'A'.repeat(10_240), 'x-forwarded-for': '203.0.113.7' }), body }),
        // obs-text bytes (fetch would refuse them) and no agent at all go over the raw socket.
        await exchange(gateway, rawHttp('POST', '/auth/login', ['Content-Type: application/json', 'User-Agent: caf\u00e9 \u00ff\u00fe agent'], body)),
        await exchange(gateway, rawHttp('POST', '/auth/login', ['Content-Type: application/json'], body))
      ]
      const moved = await refresh(gateway, refreshToken, { 'user-agent': 'B'.repeat(10_240), 'x-forwarded-for': '2001:db8::1', 'x-real-ip': '198.51.100.1' })
      const listed = await gateway.request('/auth/sessions', { headers: { authorization: `Bearer ${accessTokenOf(moved)}` } })
      const sessions = listed.status === 200 ? JSON.parse(listed.body) as { ip: string, userAgent: string }[] : []
      const failed = [...logins, moved].find((answer) => answer.status !== 200)
      return withNotes(failed ?? moved, [
        sessions.length !== 4 && `${sessions.length} sessions listed (${listed.status})`,
        // eslint-disable-next-line no-control-regex
        ...sessions.map((session) => (session.userAgent.length > 512 || /[\u0000-\u001f\u007f]/.test(session.userAgent)) && `stored user agent of ${session.userAgent.length} chars`),
        ...sessions.map((session) => session.ip !== '127.0.0.1' && `stored ip ${session.ip}`)
      ])
    },
    check: checkNotes,
    also: 'every answer 200; stored user agents ≤ 512 chars without control characters; stored ip is the socket\'s, never the spoofed header'
  },
  {
    id: 'C.48',
    name: 'a `User-Agent` holding control characters (BEL, ESC, DEL, NUL) on login',
    expect: { status: 400, upstream: 'n/a' },
    attack: async (target) => {
      const login = (agent: string): Promise<Outcome> => exchange(target, rawHttp('POST', '/auth/login',
        ['Content-Type: application/json', `User-Agent: ${agent}`], JSON.stringify({ email: 'c48b@example.test', password: PASSWORD })))
      const outcome = await everyVariant(['\u0007', '\u001b[31m', '\u007f', '\u0000'], { status: 400, upstream: 'n/a' }, (control) => login(`evil${control}agent`))
      // The same request with a printable agent is a plain failed login: the 400 above is the agent's doing.
      const control = await login('evil agent')
      return withNotes(outcome, [control.code !== 'AUTH_INVALID_CREDENTIALS' && `the control request answered ${control.status}`])
    },
    check: checkNotes,
    also: 'refused by the HTTP parser before any handler; the same request with a printable agent is a plain 401'
  }
]

export const group: CaseGroup = {
  section: 'C',
  title: 'Refresh tokens, cookies, CSRF, logout',
  cases: [...rotation, ...garbage, ...csrf, ...endings, ...tossing, ...sessionList]
}
