// The system under attack: a real gateway (buildApp from @authgate/gateway, the real config validator, the real
// @authgate/fastify plugin) on 127.0.0.1:0 in front of a recording upstream (plain node:http that keeps every request
// that reached it). Routes as docs/security.md assumes them: /public anonymous, /api any user, /admin role admin, /ws a
// WebSocket route. The store is the in-memory one unless `store` is given (cases that inspect the database).
import { connect, type AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { generateKey, type KeyInput } from '@authgate/fastify/tokens'
import { type SessionStore } from '@authgate/fastify'
import { buildApp, parseConfig } from '@authgate/gateway'
import { startUpstream, type RecordingUpstream } from '@authgate/test-kit/upstream'
import type { Outcome } from './case.js'

export interface Teardown { teardown (fn: () => unknown): void }

export type { RecordingUpstream, SeenRequest, UpstreamHandler } from '@authgate/test-kit/upstream'

export const PASSWORD = 'correct horse battery staple'
export const ISSUER = 'authgate-security'
export const AUDIENCE = 'upstream'

export interface TargetOptions {
  /** Merged over the default gateway configuration (top-level keys replace). */
  config?: Record<string, unknown>
  /** The signing key (default: a fresh EdDSA key). */
  key?: KeyInput
  /** A store instance (default: a new in-memory store); shared by two targets, it makes two instances of one gateway. */
  store?: SessionStore
}

export interface AttackTarget {
  app: FastifyInstance
  origin: string
  port: number
  upstream: RecordingUpstream
  /** The gateway's key (PEM or secret), for forging and for algorithm-confusion cases. */
  key: KeyInput
  /** A valid access token signed by the gateway itself (a session id that is not revoked). */
  token: (sub: string, roles?: string[]) => string
  /** fetch against the gateway, answered as an Outcome (redirects not followed). */
  request: (path: string, init?: RequestInit) => Promise<Outcome>
  /** Bytes sent as they are over one TCP connection; the answer is parsed as far as it goes. */
  raw: (bytes: string, waitMs?: number) => Promise<Outcome>
  /** Registers (if needed) and logs in `email`; returns the access token and the refresh cookie value. */
  login: (email: string, password?: string) => Promise<{ accessToken: string, refreshToken: string, userId: string }>
  /** Another gateway with different configuration (fresh rate-limit state, other key), torn down with the test. */
  fresh: (options?: TargetOptions) => Promise<AttackTarget>
  /** Runs `fn` when the test that started this target ends (servers a case starts beside it). */
  teardown: (fn: () => unknown) => void
}

function codeOf (body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed !== null && typeof parsed === 'object' && 'code' in parsed && typeof parsed.code === 'string') return parsed.code
  } catch { /* not JSON: no code */ }
  return undefined
}

async function fetchOutcome (origin: string, path: string, init: RequestInit = {}): Promise<Outcome> {
  const response = await fetch(`${origin}${path}`, { redirect: 'manual', ...init })
  const body = await response.text()
  const headers: Record<string, string | string[] | undefined> = {}
  response.headers.forEach((value, name) => { headers[name] = value })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  return { status: response.status, code: codeOf(body), headers, body }
}

function rawOutcome (port: number, bytes: string, waitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const finish = (): void => {
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const head = split === -1 ? text : text.slice(0, split)
      const body = split === -1 ? '' : text.slice(split + 4)
      const headers: Record<string, string | string[] | undefined> = {}
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
      // A chunked body starts with its size line; the JSON error is what follows it.
      const json = body.slice(body.indexOf('{'))
      resolve({ status, code: codeOf(json.slice(0, json.lastIndexOf('}') + 1)), headers, body })
    }
    const timer = setTimeout(finish, waitMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', finish)
    socket.on('error', finish)
    socket.write(bytes, 'latin1')
  })
}

function refreshCookie (setCookies: string[] | string | undefined): string {
  const list = Array.isArray(setCookies) ? setCookies : setCookies === undefined ? [] : [setCookies]
  for (const cookie of list) {
    const match = /^authgate_rt=([^;]*)/.exec(cookie)
    if (match?.[1] !== undefined && match[1] !== '') return match[1]
  }
  throw new Error('no refresh cookie in the answer')
}

/** Starts the recording upstream and a gateway in front of it; both end with the test. */
export async function startTarget (t: Teardown, options: TargetOptions = {}): Promise<AttackTarget> {
  const upstream = await startUpstream(t, { recordUpgrades: true })
  const key = options.key ?? generateKey('EdDSA', 'security-eddsa')
  const config = parseConfig({
    tokens: { keys: [key], issuer: ISSUER, audience: AUDIENCE },
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' },
      { prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] },
      { prefix: '/ws', upstream: upstream.url, auth: 'required', websocket: true }
    ],
    // The catalogue registers its users through the gateway (off by default since issue #11).
    auth: { registration: true },
    ...options.config
  }, { file: 'security-catalogue' })
  const app = await buildApp(config, { logger: false, ...(options.store === undefined ? {} : { store: options.store }) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const port = (app.server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  let counter = 0
  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return {
    app,
    origin,
    port,
    upstream,
    key,
    token: (sub, roles = []) => app.authgate.tokens.sign({ sub, sid: `sid-${sub}-${++counter}`, roles }).token,
    request: (path, init) => fetchOutcome(origin, path, init),
    raw: (bytes, waitMs = 1500) => rawOutcome(port, bytes, waitMs),
    async login (email, password = PASSWORD) {
      const registered = await fetchOutcome(origin, '/auth/register', json({ email, password }))
      if (registered.status !== 201 && registered.status !== 409) throw new Error(`register answered ${registered.status}`)
      const login = await fetchOutcome(origin, '/auth/login', json({ email, password }))
      if (login.status !== 200) throw new Error(`login answered ${login.status} ${login.code ?? ''}`)
      const body = JSON.parse(login.body) as { accessToken: string, user: { id: string } }
      return { accessToken: body.accessToken, refreshToken: refreshCookie(login.headers['set-cookie']), userId: body.user.id }
    },
    fresh: (next) => startTarget(t, next),
    teardown: (fn) => { t.teardown(fn) }
  }
}
