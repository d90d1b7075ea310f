// Plugin apps for the fault and several-instances tests: real Fastify apps listening on 127.0.0.1 (port 0), the
// @authgate/fastify plugin on a MongoDB store, one key set per test process (so "another instance" or "the app after
// a restart" verifies what the first one signed), and a tiny fetch-based client that reads Set-Cookie itself.
import { createHash } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { generateKey, type KeyInput } from '@authgate/fastify/tokens'
import authgate, { type AuthgateOptions, type MongoStoreOptions } from '@authgate/fastify'

export const PASSWORD = 'correct horse battery staple'
export const ISSUER = 'authgate-faults'
export const AUDIENCE = 'faults'
export const RT_COOKIE = 'authgate_rt'

let sharedKey: KeyInput | undefined
/** The one signing key of every app of this test process: instances and restarts share it, as in production. */
export function sharedKeys (): KeyInput[] {
  sharedKey ??= generateKey('EdDSA', 'faults-eddsa')
  return [sharedKey]
}

export function sha256 (value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

export interface Teardown { teardown (fn: () => unknown): void }

export interface AppOptions {
  /** MongoDB url and database of the store. */
  url: string
  database: string
  /** Extra MongoDB store options (timeouts). */
  mongo?: Partial<MongoStoreOptions>
  /** Plugin options merged over the defaults (tokens one level deep). */
  options?: Partial<AuthgateOptions>
  /** Fastify logger option (default off). */
  logger?: FastifyServerOptions['logger']
  /** Other Fastify server options (e.g. a short keepAliveTimeout so close() does not wait 72 s for idle clients). */
  server?: Omit<FastifyServerOptions, 'logger'>
}

export interface RunningApp {
  app: FastifyInstance
  base: string
  close: () => Promise<void>
}

/** Builds, readies and listens; closed on teardown (closing twice is harmless). */
export async function startApp (t: Teardown, setup: AppOptions): Promise<RunningApp> {
  const app = Fastify({ ...setup.server, logger: setup.logger ?? false })
  const { tokens, ...rest } = setup.options ?? {}
  await app.register(authgate, {
    store: { mongodb: { url: setup.url, database: setup.database, ...setup.mongo } },
    cookie: { secure: false },
    rateLimit: false,
    ...rest,
    tokens: { keys: sharedKeys(), issuer: ISSUER, audience: AUDIENCE, ...tokens }
  })
  app.get('/private', { config: { auth: 'required' } }, async (request) => ({ sub: request.user?.sub, sid: request.user?.sid }))
  let closed: Promise<void> | undefined
  const close = (): Promise<void> => (closed ??= app.close().then(() => undefined))
  t.teardown(close)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return { app, base: `http://127.0.0.1:${address.port}`, close }
}

export interface Answer {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely shaped JSON bodies (see eslint.config.js)
  body: any
  headers: Headers
  /** Every Set-Cookie line. */
  setCookies: string[]
  /** The refresh cookie value set by this answer ('' when cleared), or undefined when it was not touched. */
  rt: string | undefined
  ms: number
}

export interface CallOptions {
  method?: string
  body?: unknown
  cookie?: string
  bearer?: string
  headers?: Record<string, string>
  /** Abort after this many ms (default 15 s): a hung request fails the test instead of the whole file. */
  timeoutMs?: number
}

export async function call (base: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.cookie !== undefined) headers.cookie = `${RT_COOKIE}=${options.cookie}`
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`
  const started = Date.now()
  const response = await fetch(base + path, {
    method: options.method ?? (options.body !== undefined || options.cookie !== undefined ? 'POST' : 'GET'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000)
  })
  const text = await response.text()
  const ms = Date.now() - started
  let body: unknown = text
  try { body = text === '' ? null : JSON.parse(text) } catch { /* not JSON: keep the text */ }
  const setCookies = response.headers.getSetCookie()
  const line = setCookies.find((cookie) => cookie.startsWith(`${RT_COOKIE}=`))
  const rt = line === undefined ? undefined : decodeURIComponent(line.slice(RT_COOKIE.length + 1).split(';')[0] ?? '')
  return { status: response.status, body, headers: response.headers, setCookies, rt, ms }
}

/** Like `call`, but a network failure or timeout becomes status 0 (for requests made while a database is away). */
export async function tryCall (base: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const started = Date.now()
  try {
    return await call(base, path, options)
  } catch (error) {
    return { status: 0, body: String(error), headers: new Headers(), setCookies: [], rt: undefined, ms: Date.now() - started }
  }
}

export const register = (base: string, email: string, password = PASSWORD): Promise<Answer> =>
  call(base, '/auth/register', { body: { email, password } })

export const login = (base: string, email: string, password = PASSWORD): Promise<Answer> =>
  call(base, '/auth/login', { body: { email, password } })

export const refresh = (base: string, rt: string): Promise<Answer> => call(base, '/auth/refresh', { cookie: rt })

export const logout = (base: string, rt: string): Promise<Answer> => call(base, '/auth/logout', { cookie: rt })

/** Registers (when asked) and logs in: the refresh token, the access token, the user and session ids. */
export async function signIn (base: string, email: string, registerFirst = true): Promise<{ rt: string, at: string, userId: string, sid: string }> {
  if (registerFirst) {
    const created = await register(base, email)
    if (created.status !== 201) throw new Error(`register failed: ${created.status} ${JSON.stringify(created.body)}`)
  }
  const answer = await login(base, email)
  if (answer.status !== 200 || answer.rt === undefined || answer.rt === '') throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`)
  return { rt: answer.rt, at: answer.body.accessToken, userId: answer.body.user.id, sid: claimsOf(answer.body.accessToken).sid }
}

/** The payload of a JWT, unverified (the tests only read their own tokens' sid). */
export function claimsOf (token: string): { sub: string, sid: string, iat: number, exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string, sid: string, iat: number, exp: number }
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Polls `probe` every `stepMs` until it returns true or `timeoutMs` passes; resolves with the elapsed ms or -1. */
export async function waitUntil (probe: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<number> {
  const started = Date.now()
  while (Date.now() - started <= timeoutMs) {
    if (await probe()) return Date.now() - started
    await sleep(stepMs)
  }
  return -1
}
