// Builds a Fastify app with the authgate plugin for route tests, on either store, with keys generated at run time.
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import authgate, { type AuthgateOptions } from '../../src/index.js'
import { MongoSessionStore } from '../../src/stores/mongo/session-store.js'
import type { StoreOption } from '../../src/stores/index.js'
import type { SessionStore } from '../../src/stores/store.js'
import { SESSION_STORE } from '../../src/http/augmentation.js'
import { testKey } from './keys.js'

export type StoreKind = 'memory' | 'mongo'

export const PASSWORD = 'correct horse battery staple'

export interface AppSetup {
  /** Overrides merged over the test defaults (tokens are merged one level deep). */
  options?: Partial<AuthgateOptions>
  /** For 'mongo': the database name of useTestDatabase(t). */
  database?: string
  /** Fastify's trustProxy (request.host then reads X-Forwarded-Host from trusted peers). */
  trustProxy?: boolean
}

export function storeOption (kind: StoreKind, database?: string): StoreOption {
  if (kind === 'memory') return { memory: true }
  const url = process.env.MONGODB_URL
  if (url === undefined || database === undefined) throw new Error('mongo tests need MONGODB_URL and a database')
  return { mongodb: { url, database } }
}

export async function buildApp (t: Test, kind: StoreKind, setup: AppSetup = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, trustProxy: setup.trustProxy ?? false })
  const { tokens, ...rest } = setup.options ?? {}
  await app.register(authgate, {
    store: storeOption(kind, setup.database),
    ...rest,
    tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test', reuseGrace: '1s', ...tokens }
  })
  app.get('/private', { config: { auth: 'required' } }, async (request) => ({ sub: request.user?.sub }))
  app.get('/admin', { config: { auth: 'required', roles: ['admin'] } }, async () => ({ ok: true }))
  app.get('/maybe', { config: { auth: 'optional' } }, async (request) => ({ user: request.user?.sub ?? null }))
  app.get('/public', async (request) => ({ user: request.user }))
  app.get('/guarded', { preHandler: app.authenticate }, async (request) => ({ sub: request.user?.sub }))
  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** A store pointed at a port where nothing listens: every operation fails fast with AUTH_STORE_UNAVAILABLE. */
export function deadStore (): MongoSessionStore {
  return new MongoSessionStore({ url: 'mongodb://127.0.0.1:1/?directConnection=true', database: 'dead', serverSelectionTimeoutMS: 300 })
}

export interface CookieView {
  name: string
  value: string
  path?: string
  maxAge?: number
  httpOnly?: boolean
  secure?: boolean
  sameSite?: string
  domain?: string
}

export function cookieOf (response: LightMyRequestResponse, name = 'authgate_rt'): CookieView | undefined {
  return (response.cookies as CookieView[]).find((cookie) => cookie.name === name)
}

export function setCookieHeaders (response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie']
  return header === undefined ? [] : Array.isArray(header) ? header : [header]
}

export async function register (app: FastifyInstance, email: string, password = PASSWORD): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } })
}

export async function login (app: FastifyInstance, email: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, headers })
}

export async function refresh (app: FastifyInstance, token: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `authgate_rt=${token}`, ...headers } })
}

/** Registers and logs in: the refresh token, the access token and the user id. */
export async function signIn (app: FastifyInstance, email: string, headers: Record<string, string> = {}): Promise<{ rt: string, at: string, userId: string }> {
  await register(app, email)
  const response = await login(app, email, PASSWORD, headers)
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  const body = response.json<{ accessToken: string, user: { id: string } }>()
  const rt = cookieOf(response)?.value
  if (rt === undefined) throw new Error('login set no refresh cookie')
  return { rt, at: body.accessToken, userId: body.user.id }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The store an app's plugin runs on: not on the public decorator (app.authgate.sessions is), reached by its symbol. */
export function storeOf (app: FastifyInstance): SessionStore {
  return (app.authgate as unknown as Record<typeof SESSION_STORE, SessionStore>)[SESSION_STORE]
}
