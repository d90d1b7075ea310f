// users.source: upstream with users.refresh: recheck (issue #11, item 3), against a real legacy HTTP server on
// loopback whose answers the test changes: a demotion reaches the next refreshed token; a user the legacy system no
// longer knows (404/410 with JSON) loses every session; a legacy 500, a non-JSON 404 or a timeout is a 503 that keeps
// the session; the lookup is asked at most once per recheckInterval per session.
import t from 'tap'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startGateway, startUpstream, type TeardownHost } from '../../apps/gateway/test/helpers.js'

type LegacyAnswer = { status: number, body?: unknown, contentType?: string, text?: string } | 'hang'

interface Legacy {
  url: string
  /** What the lookup answers next (the login always answers the current `user`). */
  lookup: LegacyAnswer
  user: { id: string, roles: string[] }
  lookups: () => number
  /** Milliseconds the lookup waits before answering. */
  lookupDelayMs: number
}

async function startLegacy (t: TeardownHost): Promise<Legacy> {
  let lookups = 0
  const state: Legacy = { url: '', lookup: { status: 200 }, user: { id: 'legacy-7', roles: ['admin'] }, lookups: () => lookups, lookupDelayMs: 0 }
  const send = (response: ServerResponse, answer: LegacyAnswer): void => {
    if (answer === 'hang') return
    response.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' }).end(answer.text ?? JSON.stringify(answer.body ?? { error: 'x' }))
  }
  const server = createServer((request, response) => {
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { text += chunk })
    request.on('end', () => {
      const body = JSON.parse(text || '{}') as Record<string, unknown>
      if (request.url === '/login') {
        send(response, body.password === 'legacy-password' ? { status: 200, body: { user: state.user } } : { status: 401 })
        return
      }
      lookups++
      if (body.id !== state.user.id) { send(response, { status: 404 }); return }
      const answer = state.lookup
      setTimeout(() => {
        send(response, answer !== 'hang' && answer.status === 200 && answer.body === undefined ? { status: 200, body: { user: state.user } } : answer)
      }, state.lookupDelayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

interface Session { access: string, cookie: string }

async function login (origin: string): Promise<Session> {
  const response = await fetch(`${origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'victim@example.com', password: 'legacy-password' }) })
  if (response.status !== 200) throw new Error(`login answered ${response.status}`)
  return { access: ((await response.json()) as { accessToken: string }).accessToken, cookie: cookieOf(response) }
}

function cookieOf (response: Response): string {
  const line = response.headers.getSetCookie().find((value) => value.startsWith('authgate_rt=')) ?? ''
  return line.slice(0, line.indexOf(';'))
}

/** POST /auth/refresh; on 200 the session holds the new tokens. */
async function refresh (origin: string, session: Session): Promise<{ status: number, code?: string }> {
  const response = await fetch(`${origin}/auth/refresh`, { method: 'POST', headers: { cookie: session.cookie } })
  const body = await response.json() as { accessToken?: string, code?: string }
  if (response.status === 200 && body.accessToken !== undefined) {
    session.access = body.accessToken
    session.cookie = cookieOf(response)
  }
  return body.code === undefined ? { status: response.status } : { status: response.status, code: body.code }
}

async function admin (origin: string, session: Session): Promise<number> {
  const response = await fetch(`${origin}/admin/panel`, { headers: { authorization: `Bearer ${session.access}` } })
  await response.arrayBuffer()
  return response.status
}

async function setup (t: TeardownHost, users: Record<string, unknown> = {}) {
  const legacy = await startLegacy(t)
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    users: { source: 'upstream', url: `${legacy.url}/login`, lookupUrl: `${legacy.url}/lookup`, map: { id: 'user.id', roles: 'user.roles' }, recheckInterval: 0, timeout: '300ms', ...users },
    cookie: { secure: false },
    routes: [{ prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] }]
  })
  return { legacy, origin: gateway.origin }
}

t.test('a user demoted in the legacy system gets the new roles at the next refresh', async (t) => {
  const { legacy, origin } = await setup(t)
  const session = await login(origin)
  t.equal(await admin(origin, session), 200, 'an admin at login')
  legacy.user.roles = ['viewer']
  t.same(await refresh(origin, session), { status: 200 })
  t.equal(await admin(origin, session), 403, 'the refreshed token carries the demoted roles')
  t.ok(legacy.lookups() >= 1, 'the lookup URL was asked')
})

t.test('a user deleted in the legacy system (404 or 410) loses every session at refresh', async (t) => {
  for (const status of [404, 410]) {
    const { legacy, origin } = await setup(t)
    const first = await login(origin)
    const second = await login(origin)
    legacy.lookup = { status }
    t.same(await refresh(origin, first), { status: 401, code: 'AUTH_REFRESH_INVALID' }, `${status}: refresh refused`)
    t.equal(await admin(origin, second), 401, `${status}: the other session's access token is revoked too`)
    legacy.lookup = { status: 200 }
    t.same(await refresh(origin, second), { status: 401, code: 'AUTH_REFRESH_INVALID' }, `${status}: the other session cannot refresh either`)
  }
})

t.test('a legacy 500, a broken answer or a timeout is a 503 and the session is kept', async (t) => {
  const { legacy, origin } = await setup(t)
  const session = await login(origin)
  const answers: Array<[string, LegacyAnswer]> = [
    ['500', { status: 500 }], ['2xx without a user', { status: 200, body: { nope: true } }], ['timeout', 'hang'],
    // A mistyped lookupUrl path: the web server's own 404 page is not "this user is gone".
    ['404 HTML page', { status: 404, contentType: 'text/html', text: '<h1>Not Found</h1>' }],
    ['410 text', { status: 410, contentType: 'text/plain', text: 'Gone' }],
    ['404 JSON type, body not JSON', { status: 404, text: 'Not Found' }]
  ]
  for (const [what, answer] of answers) {
    legacy.lookup = answer
    const outage = await refresh(origin, session)
    t.same(outage, { status: 503, code: 'AUTH_STORE_UNAVAILABLE' }, `${what}: 503`)
    t.equal(await admin(origin, session), 200, `${what}: the session's access token still works`)
  }
  legacy.lookup = { status: 200 }
  t.same(await refresh(origin, session), { status: 200 }, 'once the legacy system answers, the same refresh cookie works')
})

t.test('the lookup is asked at most once per recheckInterval per session', async (t) => {
  const { legacy, origin } = await setup(t, { recheckInterval: '1h' })
  const session = await login(origin)
  legacy.user.roles = ['viewer']
  t.same(await refresh(origin, session), { status: 200 })
  t.same(await refresh(origin, session), { status: 200 })
  t.equal(legacy.lookups(), 0, 'within the interval after login, the login\'s answer stands')
  t.equal(await admin(origin, session), 200)
})

t.test('refreshes of one session arriving together past the interval share one lookup', async (t) => {
  const { legacy, origin } = await setup(t)
  const session = await login(origin)
  legacy.lookupDelayMs = 150
  const before = legacy.lookups()
  const answers = await Promise.all(Array.from({ length: 8 }, async () => refresh(origin, { ...session })))
  t.equal(legacy.lookups() - before, 1, 'eight parallel refreshes of one cookie: the legacy system was asked once')
  t.ok(answers.some((answer) => answer.status === 200), 'and the refresh went through')
})

t.test('users.refresh: none keeps the roles of the login (the documented opt-out)', async (t) => {
  const legacy = await startLegacy(t)
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    users: { source: 'upstream', url: `${legacy.url}/login`, map: { id: 'user.id', roles: 'user.roles' }, refresh: 'none' },
    cookie: { secure: false },
    routes: [{ prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] }]
  })
  const session = await login(gateway.origin)
  legacy.user.roles = []
  t.same(await refresh(gateway.origin, session), { status: 200 })
  t.equal(await admin(gateway.origin, session), 200)
  t.equal(legacy.lookups(), 0)
})
