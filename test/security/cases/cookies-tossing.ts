// Section C, issue #11 items 6 and 16: cookie tossing (a sibling subdomain sets a second `authgate_rt` or
// `authgate_did` with `Domain=<parent>` and a longer Path, which browsers send first), the device cookie's value
// kept out of `GET /auth/sessions`, and that list's paging. Included in cookies.ts's group.
import type { AttackCase, Expectation, Outcome } from '../lib/case.js'
import { everyVariant } from '../lib/variants.js'
import { attach, evidenceOf, exchange, rawHttp } from '../lib/gateway-wire.js'
import { PASSWORD } from '../lib/target.js'
import {
  DEVICE_COOKIE, REFRESH_COOKIE, attributesOf, cookieLine, recordingStore, refresh, sameOrigin, setCookies
} from '../lib/cookie-session.js'

const AMBIGUOUS: Expectation = { status: 401, code: 'AUTH_REFRESH_AMBIGUOUS', upstream: 'n/a' }

function withNotes (outcome: Outcome, notes: readonly (string | false)[]): Outcome {
  return attach(outcome, { arrived: [], notes: notes.filter((note): note is string => note !== false) })
}

function checkNotes (outcome: Outcome): void {
  const notes = evidenceOf(outcome).notes ?? []
  if (notes.length > 0) throw new Error(notes.slice(0, 5).join('; '))
}

/** `name=; …` lines of an answer that expire `name`, as `Path|Domain` (Domain empty when host-only). */
function expiredAt (outcome: Outcome, name: string): Set<string> {
  const places = new Set<string>()
  for (const line of setCookies(outcome)) {
    if (!line.startsWith(`${name}=;`)) continue
    const { attributes } = attributesOf(line)
    if (attributes.get('max-age') === '0') places.add(`${attributes.get('path') ?? ''}|${attributes.get('domain') ?? ''}`)
  }
  return places
}

function userOf (outcome: Outcome): string {
  return outcome.status === 200 ? (JSON.parse(outcome.body) as { user: { id: string } }).user.id : ''
}

/** The Cookie spellings of "victim's token and attacker's token" a browser or a client can send. */
function twoCopies (victim: string, attacker: string): Array<{ how: string, lines: string[] }> {
  return [
    { how: 'attacker first, one header', lines: [`Cookie: ${REFRESH_COOKIE}=${attacker}; ${REFRESH_COOKIE}=${victim}`] },
    { how: 'victim first, one header', lines: [`Cookie: ${REFRESH_COOKIE}=${victim}; ${REFRESH_COOKIE}=${attacker}`] },
    { how: 'two Cookie headers', lines: [`Cookie: ${REFRESH_COOKIE}=${attacker}`, `Cookie: ${REFRESH_COOKIE}=${victim}`] },
    { how: 'spaces and tabs around the name, other cookies between', lines: [`Cookie: a=1;  \t${REFRESH_COOKIE} \t=${attacker};b;c=2;${REFRESH_COOKIE}=${victim}`] },
    { how: 'the same token twice', lines: [`Cookie: ${REFRESH_COOKIE}=${victim}; ${REFRESH_COOKIE}=${victim}`] },
    { how: 'an empty tossed copy', lines: [`Cookie: ${REFRESH_COOKIE}=; ${REFRESH_COOKIE}=${victim}`] }
  ]
}

/** A raw POST as a browser on `app.example.test` sends it (a sibling of the attacker's `evil.example.test`). */
function post (path: string, lines: readonly string[], body = ''): string {
  return rawHttp('POST', path, lines, body).replace('Host: gateway.test\r\n', 'Host: app.example.test\r\n')
}

export const tossing: AttackCase[] = [
  {
    id: 'C.47',
    name: 'cookie tossing: two `authgate_rt` on `POST /auth/refresh` (attacker first or last, one or two `Cookie` headers, spacing, empty copy)',
    expect: AMBIGUOUS,
    attack: async (target) => {
      const gateway = await target.fresh()
      const victim = await gateway.login('c47-victim@example.test')
      const attacker = await gateway.login('c47-attacker@example.test')
      const outcome = await everyVariant(twoCopies(victim.refreshToken, attacker.refreshToken), AMBIGUOUS,
        ({ lines }) => exchange(gateway, post('/auth/refresh', lines)))
      const places = expiredAt(outcome, REFRESH_COOKIE)
      const after = await refresh(gateway, victim.refreshToken)
      return withNotes(outcome, [
        ...['/auth|', '/auth/refresh|', '/auth/refresh|example.test', '/auth/refresh|app.example.test', '/|example.test']
          .map((place) => !places.has(place) && `not expired at Path|Domain ${place} (expired: ${[...places].join(', ')})`),
        userOf(after) !== victim.userId && `the victim's token afterwards answered ${after.status}: it was rotated or revoked`
      ])
    },
    check: checkNotes,
    also: 'nothing rotates (the victim\'s token still refreshes alone afterwards); the answer expires `authgate_rt` on `Path=/auth` and on every Path/Domain a tossed copy can use (`/auth/refresh`, `/`, `Domain=example.test`, …)'
  },
  {
    id: 'C.47',
    name: 'cookie tossing on `POST /auth/logout`: two `authgate_rt`',
    expect: AMBIGUOUS,
    attack: async (target) => {
      const gateway = await target.fresh()
      const victim = await gateway.login('c47b-victim@example.test')
      const attacker = await gateway.login('c47b-attacker@example.test')
      const outcome = await exchange(gateway, post('/auth/logout', [`Cookie: ${REFRESH_COOKIE}=${attacker.refreshToken}; ${REFRESH_COOKIE}=${victim.refreshToken}`]))
      const [victimAfter, attackerAfter] = [await refresh(gateway, victim.refreshToken), await refresh(gateway, attacker.refreshToken)]
      return withNotes(outcome, [
        !expiredAt(outcome, REFRESH_COOKIE).has('/auth|') && 'the refresh cookie was not cleared',
        victimAfter.status !== 200 && `the victim's session was ended (${victimAfter.status})`,
        attackerAfter.status !== 200 && `the attacker's session was ended (${attackerAfter.status})`
      ])
    },
    check: checkNotes,
    also: 'no session is ended (which one was meant cannot be told); the cookie is cleared'
  },
  {
    id: 'C.47',
    name: 'names that only look like `authgate_rt` (`AUTHGATE_RT`, `authgate%5Frt`, `Authgate_Rt`) beside the real one, and alone',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      const victim = await gateway.login('c47c-victim@example.test')
      const attacker = await gateway.login('c47c-attacker@example.test')
      const lookalikes = ['AUTHGATE_RT', 'authgate%5Frt', 'Authgate_Rt', '__Host-authgate_rt']
      const alone = await everyVariant(lookalikes, { status: 401, code: 'AUTH_REFRESH_INVALID', upstream: 'n/a' }, (name) => gateway.request('/auth/refresh', {
        method: 'POST', headers: { ...sameOrigin(gateway), cookie: `${name}=${attacker.refreshToken}` }
      }))
      let token = victim.refreshToken
      const answers: Outcome[] = []
      for (const name of lookalikes) {
        const answer = await gateway.request('/auth/refresh', { method: 'POST', headers: { ...sameOrigin(gateway), cookie: `${name}=${attacker.refreshToken}; ${REFRESH_COOKIE}=${token}` } })
        answers.push(answer)
        token = /^authgate_rt=([^;]+)/.exec(cookieLine(answer) ?? '')?.[1] ?? token
      }
      const last = answers.at(-1) as Outcome
      return withNotes(last, [
        alone.status !== 401 && `a look-alike name alone answered ${alone.status}: it was read as the refresh cookie`,
        ...answers.map((answer, index) => userOf(answer) !== victim.userId && `beside ${lookalikes[index] ?? ''}: ${answer.status} for ${userOf(answer) || 'nobody'}`)
      ])
    },
    check: checkNotes,
    also: 'a look-alike name is never read (alone: 401 `AUTH_REFRESH_INVALID`); beside the real cookie, the real one refreshes the victim\'s own session'
  },
  {
    id: 'C.47',
    name: 'cookie tossing of the device cookie: two `authgate_did` on login',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      const victimDevice = 'VVVVVVVVVVVVVVVVVVVVVV'
      const attackerDevice = 'AAAAAAAAAAAAAAAAAAAAAA'
      const body = JSON.stringify({ email: 'c47d@example.test', password: PASSWORD })
      await gateway.login('c47d@example.test')
      const login = await exchange(gateway, post('/auth/login', ['Content-Type: application/json', `Cookie: ${DEVICE_COOKIE}=${attackerDevice}; ${DEVICE_COOKIE}=${victimDevice}`], body))
      const issued = /^authgate_did=([^;]+)/.exec(cookieLine(login, DEVICE_COOKIE) ?? '')?.[1]
      return withNotes(login, [
        (issued === undefined || issued === victimDevice || issued === attackerDevice) && `device cookie set: ${issued ?? 'none'} (expected a new device)`,
        !expiredAt(login, DEVICE_COOKIE).has('/auth/login|example.test') && 'the tossed device copies were not expired'
      ])
    },
    check: checkNotes,
    also: 'the login stands (a sibling cannot block sign-in) as a NEW device: neither copy is adopted; every copy is expired'
  },
  {
    id: 'C.47',
    name: '`cookie.name: __Host-authgate_rt` (no sibling can set it): login, refresh, and an upstream request carrying it',
    // The request reaches the upstream of the gateway this case starts (checked below), not the shared one.
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh({ config: { cookie: { name: '__Host-authgate_rt', deviceName: '__Host-authgate_did' } } })
      const email = 'c47e@example.test'
      await gateway.request('/auth/register', { method: 'POST', headers: sameOrigin(gateway), body: JSON.stringify({ email, password: PASSWORD }) })
      const login = await gateway.request('/auth/login', { method: 'POST', headers: sameOrigin(gateway), body: JSON.stringify({ email, password: PASSWORD }) })
      const line = setCookies(login).find((cookie) => cookie.startsWith('__Host-authgate_rt=')) ?? ''
      const { value, attributes } = attributesOf(line)
      const cookie = `__Host-authgate_rt=${value}; __Host-authgate_did=${attributesOf(setCookies(login).find((c) => c.startsWith('__Host-authgate_did=')) ?? '').value}; theme=dark`
      const rotated = await gateway.request('/auth/refresh', { method: 'POST', headers: { ...sameOrigin(gateway), cookie } })
      const accessToken = rotated.status === 200 ? (JSON.parse(rotated.body) as { accessToken: string }).accessToken : ''
      const api = await gateway.request('/api/whoami', { headers: { authorization: `Bearer ${accessToken}`, cookie } })
      const upstreamCookie = gateway.upstream.seen.at(-1)?.headers.cookie ?? ''
      return withNotes(api, [
        attributes.get('path') !== '/' && `Path=${attributes.get('path') ?? ''} (a __Host- cookie needs Path=/)`,
        attributes.has('domain') && 'a Domain attribute',
        rotated.status !== 200 && `refresh with the __Host- cookie answered ${rotated.status}`,
        /__Host-/i.test(upstreamCookie) && `the upstream received the auth cookies: ${upstreamCookie.slice(0, 60)}`,
        upstreamCookie !== 'theme=dark' && `the upstream's Cookie is "${upstreamCookie.slice(0, 60)}", expected "theme=dark"`
      ])
    },
    check: checkNotes,
    also: 'the cookie is `Path=/` without Domain; refresh works; on a proxied route (the cookie now reaches every path) the gateway removes both auth cookies and keeps the others'
  }
]

/** GET /auth/sessions with `accessToken`, query `query`. */
function listSessions (target: Parameters<AttackCase['attack']>[0], accessToken: string, query = ''): Promise<Outcome> {
  return target.request(`/auth/sessions${query}`, { headers: { authorization: `Bearer ${accessToken}` } })
}

export const sessionList: AttackCase[] = [
  {
    id: 'C.48',
    name: '`GET /auth/sessions` never shows the device cookie\'s value',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      const { accessToken } = await gateway.login('c48c@example.test')
      const again = await gateway.request('/auth/login', { method: 'POST', headers: sameOrigin(gateway), body: JSON.stringify({ email: 'c48c@example.test', password: PASSWORD }) })
      const device = /^authgate_did=([^;]+)/.exec(cookieLine(again, DEVICE_COOKIE) ?? '')?.[1] ?? ''
      const listed = await listSessions(gateway, accessToken)
      const devices = listed.status === 200 ? (JSON.parse(listed.body) as Array<{ device: string | null }>).map((session) => session.device) : []
      return withNotes(listed, [
        device === '' && 'no device cookie was set',
        device !== '' && listed.body.includes(device) && 'the device cookie value is in the answer',
        devices.some((id) => id === null || !/^[A-Za-z0-9_-]{43}$/.test(id)) && `devices listed: ${devices.join(', ')}`
      ])
    },
    check: checkNotes,
    also: 'each session shows an opaque 43-character device id derived from the cookie; the cookie value appears nowhere'
  },
  {
    id: 'C.48',
    name: '`GET /auth/sessions` of a user with 61 live sessions: without `limit` (whole list), `?limit=7` pages, bad `limit`/`cursor`',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const recorder = recordingStore()
      const gateway = await target.fresh({ store: recorder.store })
      const { accessToken, userId } = await gateway.login('c48d@example.test')
      const now = Date.now()
      for (let index = 0; index < 60; index++) {
        const id = `c48d-${String(index).padStart(2, '0')}`
        // Half share one createdAt: the cursor must order ties too.
        const createdAt = new Date(now - 60_000 - (index % 2 === 0 ? 0 : index * 1000))
        await recorder.store.createSession({
          id, userId, familyId: id, tokenHash: id.padEnd(64, '0'), roles: ['user'], email: null, device: null, ip: '127.0.0.1',
          userAgent: 'ua', createdAt, lastUsedAt: new Date(now), expiresAt: new Date(now + 86_400_000)
        })
      }
      const first = await listSessions(gateway, accessToken)
      const firstPage = first.status === 200 ? (JSON.parse(first.body) as Array<{ id: string }>) : []
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      let pageOne: Outcome | undefined
      do {
        const page = await listSessions(gateway, accessToken, `?limit=7${cursor === undefined ? '' : `&cursor=${cursor}`}`)
        if (page.status !== 200) return page
        pageOne ??= page
        seen.push(...(JSON.parse(page.body) as Array<{ id: string }>).map((session) => session.id))
        const next = page.headers['x-next-cursor']
        cursor = typeof next === 'string' ? next : undefined
      } while (cursor !== undefined && ++pages < 20)
      const refused = await everyVariant(['?limit=0', '?limit=101', '?limit=x', '?cursor=%24ne', '?cursor=bm90IGEgY3Vyc29y'],
        { status: 400, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' }, (query) => listSessions(gateway, accessToken, query))
      return withNotes(first, [
        firstPage.length !== 61 && `without limit the answer holds ${firstPage.length} sessions, not the whole list`,
        first.headers['x-next-cursor'] !== undefined && 'X-Next-Cursor on a complete list',
        !/rel="next"/.test(String(pageOne.headers.link)) && 'no Link rel="next" on a page of 7',
        (seen.length !== 61 || new Set(seen).size !== 61) && `paging with limit 7 listed ${seen.length} sessions (${new Set(seen).size} distinct), expected 61`,
        refused.status !== 400 && `a bad limit or cursor answered ${refused.status}`
      ])
    },
    check: checkNotes,
    also: 'without `limit` the whole list as before paging (up to 1000, `X-Next-Cursor` beyond); `?limit=7` pages carry `X-Next-Cursor` and `Link: rel="next"` and list all 61 sessions once each (ties in createdAt included); `limit` 0/101/text and foreign cursors → 400'
  }
]
