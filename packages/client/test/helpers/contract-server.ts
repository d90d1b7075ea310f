// A small real HTTP server (node:http, on 127.0.0.1, port 0) that implements just the part of the HTTP contract
// (docs/design.md#http-contract) the client talks to: login, rotating refresh cookie, logout(-all), sessions, me, and
// protected routes answering the gateway's token codes. It records every request so tests can count refreshes and
// retries. It exists because @authgate/client has no dependencies (not even fastify) to build a test app from; the same
// behaviours are also exercised against the real plugin and gateway in test/e2e/browser.test.ts.
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const USER = { id: 'u1', email: 'ada@example.com', roles: ['user'] }
export const PASSWORD = 'correct horse battery staple'

export interface Recorded { method: string, path: string, authorization: string | undefined, cookie: string | undefined, body: string }

export interface ContractServer {
  url: string
  requests: Recorded[]
  count(method: string, path: string): number
  /** Every access token issued so far now answers AUTH_TOKEN_EXPIRED. */
  expireAccessTokens(): void
  /** How the next refreshes answer: normally, 401 AUTH_REFRESH_INVALID, or 503. */
  /** disabled: 403 AUTH_USER_DISABLED (an admin disabled the account); forbidden: 403 AUTH_CROSS_SITE. */
  refreshMode: 'ok' | 'refuse' | 'unavailable' | 'disabled' | 'forbidden'
  /** Hold each refresh this long, so concurrent requests pile up behind it. */
  refreshDelayMs: number
  /** Tokens are issued already expired (a client clock or server bug that refreshing cannot fix). */
  issueDeadTokens: boolean
  accessTtlSeconds: number
  /** GET /auth/sessions ignores `cursor`: the first page and the same X-Next-Cursor every time. */
  sessionsIgnoreCursor: boolean
  close(): Promise<void>
}

interface Session { id: string, refresh: string, revoked: boolean }

export async function startContractServer (): Promise<ContractServer> {
  const key = randomBytes(32)
  const sessions = new Map<string, Session>()
  const liveTokens = new Map<string, string>() // access token -> session id
  const requests: Recorded[] = []

  const state: ContractServer = {
    url: '',
    requests,
    count: (method, path) => requests.filter((r) => r.method === method && r.path === path).length,
    expireAccessTokens: () => { liveTokens.clear() },
    refreshMode: 'ok',
    refreshDelayMs: 0,
    issueDeadTokens: false,
    accessTtlSeconds: 900,
    sessionsIgnoreCursor: false,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }

  function signAccess (sid: string): string {
    const iat = Math.floor(Date.now() / 1000)
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const unsigned = `${part({ alg: 'HS256', typ: 'at+jwt' })}.${part({ sub: USER.id, sid, roles: USER.roles, iat, exp: iat + state.accessTtlSeconds, jti: randomUUID() })}`
    const token = `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`
    if (!state.issueDeadTokens) liveTokens.set(token, sid)
    return token
  }

  function issue (res: ServerResponse, session: Session): void {
    session.refresh = randomBytes(32).toString('base64url')
    res.setHeader('set-cookie', `authgate_rt=${session.refresh}; Path=/auth; HttpOnly; Secure; SameSite=Strict; Max-Age=86400`)
    json(res, 200, { accessToken: signAccess(session.id), tokenType: 'Bearer', expiresIn: state.accessTtlSeconds, user: USER })
  }

  /** The session of a valid Bearer token, or undefined after answering the gateway's 401. */
  function authenticate (req: IncomingMessage, res: ServerResponse, silent = false): Session | undefined {
    const refuse = (code: string): Session | undefined => { if (!silent) fail(res, 401, code); return undefined }
    const header = req.headers.authorization ?? ''
    if (!header.startsWith('Bearer ')) return refuse('AUTH_TOKEN_MISSING')
    const token = header.slice(7)
    const sid = liveTokens.get(token)
    const session = sid === undefined ? undefined : sessions.get(sid)
    if (session === undefined) return refuse(token.split('.').length === 3 ? 'AUTH_TOKEN_EXPIRED' : 'AUTH_TOKEN_INVALID')
    if (session.revoked) return refuse('AUTH_SESSION_REVOKED')
    return session
  }

  function sessionFromCookie (req: IncomingMessage): Session | undefined {
    const match = /(?:^|;\s*)authgate_rt=([^;]+)/.exec(req.headers.cookie ?? '')
    return [...sessions.values()].find((s) => !s.revoked && s.refresh === match?.[1])
  }

  async function handle (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const route = `${req.method ?? ''} ${url.pathname}`
    if (route === 'POST /auth/login') {
      const input = JSON.parse(body) as { email?: string, password?: string }
      if (input.email !== USER.email || input.password !== PASSWORD) { fail(res, 401, 'AUTH_INVALID_CREDENTIALS'); return }
      const session: Session = { id: randomUUID(), refresh: '', revoked: false }
      sessions.set(session.id, session)
      issue(res, session)
    } else if (route === 'POST /auth/refresh') {
      // The cookie is judged on arrival and the answer sent after the delay: a rotation that is committed while
      // its response is still on the way (racing a logout, say).
      const session = sessionFromCookie(req)
      if (state.refreshDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.refreshDelayMs))
      if (state.refreshMode === 'unavailable') { fail(res, 503, 'AUTH_STORE_UNAVAILABLE'); return }
      if (state.refreshMode === 'disabled') { fail(res, 403, 'AUTH_USER_DISABLED'); return }
      if (state.refreshMode === 'forbidden') { fail(res, 403, 'AUTH_CROSS_SITE'); return }
      if (session === undefined || state.refreshMode === 'refuse') { fail(res, 401, 'AUTH_REFRESH_INVALID'); return }
      issue(res, session)
    } else if (route === 'POST /auth/logout') {
      const session = sessionFromCookie(req)
      if (session !== undefined) session.revoked = true
      res.setHeader('set-cookie', 'authgate_rt=; Path=/auth; HttpOnly; Secure; SameSite=Strict; Max-Age=0')
      res.writeHead(204).end()
    } else if (route === 'POST /auth/logout-all') {
      if (authenticate(req, res) === undefined) return
      for (const s of sessions.values()) s.revoked = true
      res.writeHead(204).end()
    } else if (route === 'GET /auth/sessions') {
      const me = authenticate(req, res)
      if (me === undefined) return
      // Pages of 2 whatever `limit` asks (a server may cap it): the client must follow X-Next-Cursor.
      const live = [...sessions.values()].filter((s) => !s.revoked)
      const start = state.sessionsIgnoreCursor ? 0 : Number(url.searchParams.get('cursor') ?? '0')
      if (start + 2 < live.length) res.setHeader('x-next-cursor', String(start + 2))
      json(res, 200, live.slice(start, start + 2).map((s) => ({ id: s.id, device: null, ip: '127.0.0.1', userAgent: 'test', createdAt: new Date().toISOString(), lastUsedAt: new Date().toISOString(), current: s.id === me.id })))
    } else if (req.method === 'DELETE' && url.pathname === '/auth/sessions') {
      const me = authenticate(req, res)
      if (me === undefined) return
      if (url.searchParams.get('others') === 'true') for (const s of sessions.values()) if (s !== me) s.revoked = true
      res.writeHead(204).end()
    } else if (req.method === 'DELETE' && url.pathname.startsWith('/auth/sessions/')) {
      if (authenticate(req, res) === undefined) return
      const target = sessions.get(decodeURIComponent(url.pathname.slice('/auth/sessions/'.length)))
      if (target === undefined) { fail(res, 404, 'AUTH_SESSION_NOT_FOUND'); return }
      target.revoked = true
      res.writeHead(204).end()
    } else if (route === 'GET /auth/me') {
      const me = authenticate(req, res)
      if (me === undefined) return
      json(res, 200, { user: USER, claims: { sub: USER.id, sid: me.id } })
    } else if (route === 'GET /api/data') {
      if (authenticate(req, res) === undefined) return
      json(res, 200, { ok: true, sub: USER.id })
    } else if (route === 'GET /api/slow') {
      // The token is judged on arrival and the answer sent later: lets a test order one 401 after a refresh.
      const ok = authenticate(req, res, true)
      await new Promise((resolve) => setTimeout(resolve, 200))
      if (ok === undefined) { fail(res, 401, 'AUTH_TOKEN_EXPIRED'); return }
      json(res, 200, { ok: true })
    } else if (route === 'POST /api/echo') {
      if (authenticate(req, res) === undefined) return
      json(res, 200, { body })
    } else if (route === 'GET /api/upstream-401') {
      // An upstream behind the gateway refusing on its own terms: the token itself was fine.
      if (authenticate(req, res) === undefined) return
      json(res, 401, { statusCode: 401, code: 'UPSTREAM_NOT_ALLOWED', error: 'Unauthorized', message: 'upstream says no' })
    } else if (route === 'GET /api/upstream-401-text') {
      if (authenticate(req, res) === undefined) return
      res.writeHead(401, { 'content-type': 'text/plain' }).end('upstream says no')
    } else {
      fail(res, 404, 'NOT_FOUND')
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      const path = new URL(req.url ?? '/', 'http://x').pathname
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, cookie: req.headers.cookie, body })
      handle(req, res, body).catch((err: unknown) => { res.writeHead(500).end(String(err)) })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

function json (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body))
}

function fail (res: ServerResponse, status: number, code: string): void {
  if (status === 401) res.setHeader('www-authenticate', `Bearer error="invalid_token", error_description="${code}"`)
  json(res, status, { statusCode: status, code, error: status === 401 ? 'Unauthorized' : 'Error', message: code })
}
