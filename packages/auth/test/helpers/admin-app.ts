// The admin API's test app: a plugin instance on a store, the admin routes it added (collected as Fastify adds
// them, HEAD included, so an authorization matrix cannot forget one), its adminAction events, signed-in users.
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { type AdminActionEvent } from '../../src/admin.js'
import authgate, { type AuthgateOptions } from '../../src/index.js'
import { MemorySessionStore } from '../../src/stores/memory.js'
import type { SessionStore } from '../../src/stores/store.js'
import { bearer, cookieOf, login, register } from './app.js'
import { testKey } from './keys.js'

export interface Built { app: FastifyInstance, routes: Array<{ method: string, url: string }>, events: AdminActionEvent[], store: SessionStore }

export const KEY = testKey('EdDSA')

export async function build (t: Test, options: Partial<AuthgateOptions> = {}, store: SessionStore = new MemorySessionStore()): Promise<Built> {
  const app = Fastify({ logger: false })
  const routes: Array<{ method: string, url: string }> = []
  // Every route the plugin adds under /auth/admin, whatever it is: the matrix below cannot forget a new one.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/auth/admin')) return
    for (const method of [route.method].flat()) routes.push({ method, url: route.url })
  })
  const { tokens, ...rest } = options
  await app.register(authgate, { store, ...rest, tokens: { keys: [KEY], issuer: 'authgate-test', audience: 'test', revocationDelay: '100ms', ...tokens } })
  const events: AdminActionEvent[] = []
  app.authgate.events.on('adminAction', (event) => { events.push(event) })
  t.teardown(() => app.close())
  await app.ready()
  return { app, routes, events, store }
}

export interface Signed { id: string, at: string, rt: string }

export async function user (built: Built, email: string, roles?: string[]): Promise<Signed> {
  const registered = await register(built.app, email)
  const id = registered.json<{ user: { id: string } }>().user.id
  if (roles !== undefined) await built.store.setUserRoles(id, roles)
  return signIn(built.app, email)
}

export async function signIn (app: FastifyInstance, email: string): Promise<Signed> {
  const response = await login(app, email)
  if (response.statusCode !== 200) throw new Error(`login ${response.statusCode} ${response.body}`)
  const body = response.json<{ accessToken: string, user: { id: string } }>()
  return { id: body.user.id, at: body.accessToken, rt: cookieOf(response)?.value ?? '' }
}

export function call (app: FastifyInstance, method: string, url: string, at?: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({ method: method as 'GET', url, headers: at === undefined ? {} : bearer(at), ...(payload === undefined ? {} : { payload: payload as object }) })
}

export function claimsOf (token: string): { roles: string[] } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles: string[] }
}

export const code = (response: LightMyRequestResponse): string => response.json<{ code: string }>().code

