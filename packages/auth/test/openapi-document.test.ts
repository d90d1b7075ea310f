// Issue #16 item 4: with @fastify/swagger registered before the plugin, the document lists every route the plugin
// serves once (the 405 handlers hidden), each with tags, a summary, its security and response schemas, and is a
// valid OpenAPI 3.1 document. Response schemas are what Fastify serializes with (fast-json-stringify drops members
// a schema does not list, coerces types, throws on a missing required one): every answer of a run through the
// routes is compared with the object its route handed over, and validated against the schema of its status.
import swagger from '@fastify/swagger'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv } from 'ajv'
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse, type RouteOptions } from 'fastify'
import t, { type Test } from 'tap'
import authgate, { AuthError, type AuthgateOptions } from '../src/index.js'
import { openApiSecuritySchemes, openApiTags } from '../src/proxy.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { NewSession, SessionRecord } from '../src/stores/store.js'
import { testKey } from './helpers/keys.js'
import { PASSWORD, bearer, cookieOf } from './helpers/app.js'

interface Operation {
  tags?: string[]
  summary?: string
  security?: Array<Record<string, string[]>>
  responses?: Record<string, { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }>
}
interface OpenApiDocument { openapi: string, paths: Record<string, Record<string, Operation>> }

interface Served { method: string, url: string, hidden: boolean, auth: unknown }

interface Answer {
  route: string
  status: number
  sent: string
  /** The object the route handed over, as JSON.stringify writes it; undefined when no hook saw it. */
  handedOver: string | undefined
  schema: Record<string, unknown> | undefined
}

const provider = { name: 'corp', issuer: 'https://sso.example.com', clientId: 'authgate', clientSecret: 'secret' }

/** The app an embedding application would write: swagger first, then the plugin (and onRoute to list its routes). */
async function documentedApp (extra: Partial<AuthgateOptions> = {}): Promise<{ app: FastifyInstance, served: Served[], answers: Answer[] }> {
  const app = Fastify({ logger: false })
  const served: Served[] = []
  const answers: Answer[] = []
  const handed = new WeakMap<object, string>()
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const hidden = (route.schema)?.hide === true
    for (const method of methods) served.push({ method, url: route.url, hidden, auth: route.config?.auth })
  })
  app.addHook('preSerialization', async (request, _reply, payload) => {
    handed.set(request, JSON.stringify(payload))
    return payload
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url
    if (route !== undefined) {
      const responses = (request.routeOptions.schema as { response?: Record<string, Record<string, unknown>> } | undefined)?.response
      answers.push({ route: `${request.method} ${route}`, status: reply.statusCode, sent: typeof payload === 'string' ? payload : '', handedOver: handed.get(request), schema: responses?.[String(reply.statusCode)] })
    }
    return payload
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'authgate test', version: '1.0.0' },
      tags: [...openApiTags],
      components: { securitySchemes: { ...openApiSecuritySchemes } }
    }
  })
  await app.register(authgate, {
    store: { memory: true },
    auth: { registration: true },
    tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' },
    oidc: { providers: [provider] },
    ...extra
  })
  await app.ready()
  return { app, served, answers }
}

/** Fastify's `/sessions/:id` as OpenAPI writes it. */
function openApiPath (url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

/** The routes a document must list: not hidden, and not the HEAD twins Fastify adds to GET routes. */
function visible (served: readonly Served[]): Served[] {
  return served.filter((route) => !route.hidden && route.method !== 'HEAD')
}

t.test('the document is valid OpenAPI 3.1 and lists every route the plugin serves, once', async (t) => {
  const { app, served } = await documentedApp()
  t.teardown(() => app.close())
  const document = app.swagger() as unknown as OpenApiDocument
  const validator = new Validator()
  const result = await validator.validate(document as unknown as Record<string, unknown>)
  t.equal(validator.version, '3.1', 'checked against the 3.1 schema')
  t.ok(result.valid, `valid: ${JSON.stringify(result.errors ?? null)}`)

  const routes = visible(served)
  t.ok(routes.length >= 12, `${routes.length} routes served`)
  const operations = Object.values(document.paths).reduce((count, path) => count + Object.keys(path).length, 0)
  t.equal(operations, routes.length, 'as many operations as routes: nothing listed twice, the 405 handlers left out')
  for (const route of routes) {
    const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()]
    t.ok(operation, `${route.method} ${route.url} is documented`)
    if (operation === undefined) continue
    t.ok((operation.tags ?? []).length > 0, `${route.method} ${route.url} has tags`)
    t.ok(operation.summary, `${route.method} ${route.url} has a summary`)
    const bearer = route.auth === 'required'
    t.same(operation.security, bearer ? [{ bearerAuth: [] }] : [], `${route.method} ${route.url}: ${bearer ? 'the bearer scheme' : 'no bearer token'}`)
    const statuses = Object.keys(operation.responses ?? {})
    t.ok(statuses.some((status) => /^[23]\d\d$/.test(status)), `${route.method} ${route.url} documents its success (${statuses.join(', ')})`)
    const errors = statuses.filter((status) => /^[45]\d\d$/.test(status))
    // The JWKS route sits outside the prefix: its failures are the application's to answer (and to document).
    if (route.url.startsWith('/auth/')) t.ok(errors.length > 0, `${route.method} ${route.url} documents its errors`)
    for (const status of errors) {
      const properties = operation.responses?.[status]?.content?.['application/json']?.schema?.properties ?? {}
      t.same(Object.keys(properties).sort(), ['code', 'error', 'message', 'statusCode'], `${route.method} ${route.url} ${status}: the error body`)
    }
  }
  for (const hidden of served.filter((route) => route.hidden)) {
    t.notOk(document.paths[openApiPath(hidden.url)]?.[hidden.method.toLowerCase()], `${hidden.method} ${hidden.url} (405) is not an operation`)
  }
})

t.test('every answer matches the schema of its status, and serializing dropped or changed nothing', async (t) => {
  const { app, served, answers } = await documentedApp()
  t.teardown(() => app.close())
  const origin = { origin: 'http://localhost:80', host: 'localhost:80' }
  const json = { 'content-type': 'application/json' }
  const credentials = { email: 'doc@example.com', password: PASSWORD }
  const inject = async (method: 'GET' | 'POST' | 'DELETE', url: string, options: { headers?: Record<string, string>, payload?: unknown } = {}) =>
    app.inject({ method, url, headers: options.headers ?? {}, ...(options.payload === undefined ? {} : { payload: options.payload as string }) })

  t.equal((await inject('POST', '/auth/register', { payload: credentials })).statusCode, 201)
  t.equal((await inject('POST', '/auth/register', { payload: credentials })).statusCode, 409)
  t.equal((await inject('POST', '/auth/login', { payload: { email: ['x'], password: 'y' } })).statusCode, 400)
  t.equal((await inject('POST', '/auth/login', { payload: { ...credentials, password: 'wrong password' } })).statusCode, 401)
  t.equal((await inject('POST', '/auth/login', { headers: { 'content-type': 'application/xml' }, payload: '<x/>' })).statusCode, 415)
  t.equal((await inject('POST', '/auth/login', { headers: json, payload: JSON.stringify({ email: 'x'.repeat(20_000) }) })).statusCode, 413)
  const second = await inject('POST', '/auth/login', { payload: credentials })
  const loggedIn = await inject('POST', '/auth/login', { payload: credentials })
  t.equal(loggedIn.statusCode, 200)
  const access = bearer(loggedIn.json<{ accessToken: string }>().accessToken)
  const cookie = `authgate_rt=${cookieOf(loggedIn)?.value ?? ''}`
  const refreshed = await inject('POST', '/auth/refresh', { headers: { cookie, ...origin } })
  t.equal(refreshed.statusCode, 200)
  t.equal((await inject('POST', '/auth/refresh', { headers: { cookie: 'authgate_rt=unknown', ...origin } })).statusCode, 401)
  t.equal((await inject('POST', '/auth/refresh', { headers: { cookie, origin: 'https://evil.example', host: 'localhost:80' } })).statusCode, 403)
  const fresh = bearer(refreshed.json<{ accessToken: string }>().accessToken)
  t.equal((await inject('GET', '/auth/me', { headers: fresh })).statusCode, 200)
  t.equal((await inject('GET', '/auth/me')).statusCode, 401)
  t.equal((await inject('GET', '/auth/sessions', { headers: fresh })).statusCode, 200)
  t.equal((await inject('GET', '/auth/sessions?limit=1', { headers: fresh })).statusCode, 200)
  t.equal((await inject('GET', '/auth/sessions?limit=many', { headers: fresh })).statusCode, 400)
  t.equal((await inject('DELETE', '/auth/sessions/nope', { headers: fresh })).statusCode, 404)
  t.equal((await inject('DELETE', '/auth/sessions', { headers: fresh })).statusCode, 400)
  t.equal((await inject('DELETE', '/auth/sessions?others=true', { headers: fresh })).statusCode, 204)
  t.equal((await inject('GET', '/auth/oidc/providers')).statusCode, 200)
  t.equal((await inject('GET', '/auth/oidc/nope/login')).statusCode, 404)
  // The OIDC schemas document only: Ajv would have answered this repeated `state` AUTH_BAD_REQUEST.
  const repeated = await inject('GET', '/auth/oidc/corp/callback?state=x&state=y')
  t.match(repeated.json(), { statusCode: 400, code: 'AUTH_OIDC_STATE_INVALID' }, 'a repeated state is refused as before')
  t.equal((await inject('GET', '/.well-known/jwks.json')).statusCode, 200)
  t.equal((await inject('GET', '/auth/login')).statusCode, 405)
  t.equal((await inject('POST', '/auth/logout-all', { headers: access })).statusCode, 204)
  t.equal((await inject('POST', '/auth/logout', { headers: { cookie: `authgate_rt=${cookieOf(second)?.value ?? ''}`, ...origin } })).statusCode, 204)

  checkAnswers(t, served, answers, 25)
})

/** Each answer (but the hidden 405 routes') has a schema for its status, matches it, and is what its route handed over. */
function checkAnswers (t: Test, served: readonly Served[], answers: readonly Answer[], minimum: number): void {
  const hidden = new Set(served.filter((route) => route.hidden).map((route) => `${route.method} ${route.url}`))
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false })
  const checked = answers.filter((answer) => !hidden.has(answer.route))
  t.ok(checked.length >= minimum, `${checked.length} answers checked`)
  for (const answer of checked) {
    const what = `${answer.route} ${answer.status}`
    t.ok(answer.schema, `${what} has a response schema`)
    if (answer.schema === undefined) continue
    if (answer.handedOver !== undefined) t.same(JSON.parse(answer.sent), JSON.parse(answer.handedOver), `${what}: sent as handed over`)
    if (answer.sent === '') continue
    const validate = ajv.compile(answer.schema)
    t.ok(validate(JSON.parse(answer.sent)), `${what} matches its schema: ${ajv.errorsText(validate.errors)}`)
  }
}

/** Sessions without a device (no binding cookie), and a store that fails to revoke them all. */
class DevicelessFlakyStore extends MemorySessionStore {
  override async createSession (session: NewSession): Promise<SessionRecord> {
    return super.createSession({ ...session, device: null })
  }

  override async revokeUserSessions (): Promise<string[]> {
    throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 7 })
  }
}

t.test('the rarer answers too: 429, 503 with Retry-After, a session without a device', async (t) => {
  const { app, served, answers } = await documentedApp({ store: new DevicelessFlakyStore(), rateLimit: { login: { max: 1, timeWindow: '1m' } } })
  t.teardown(() => app.close())
  const credentials = { email: 'rare@example.com', password: PASSWORD }
  t.equal((await app.inject({ method: 'POST', url: '/auth/register', payload: credentials })).statusCode, 201)
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: credentials })
  t.equal(login.statusCode, 200)
  const limited = await app.inject({ method: 'POST', url: '/auth/login', payload: credentials })
  t.equal(limited.statusCode, 429)
  t.ok(limited.headers['retry-after'], 'the 429 says when to retry')
  const access = bearer(login.json<{ accessToken: string }>().accessToken)
  const sessions = await app.inject({ method: 'GET', url: '/auth/sessions', headers: access })
  t.match(sessions.json(), [{ device: null }], 'the session without a device')
  const down = await app.inject({ method: 'POST', url: '/auth/logout-all', headers: access })
  t.equal(down.statusCode, 503)
  t.equal(down.headers['retry-after'], '7', 'the 503 says when to retry')
  t.match(down.json(), { code: 'AUTH_STORE_UNAVAILABLE' })
  checkAnswers(t, served, answers, 5)
})

t.test('the document of an application without the optional routes: no register, no OIDC, no JWKS, no admin API', async (t) => {
  const app = Fastify({ logger: false })
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 't', version: '1' } } })
  await app.register(authgate, { tokens: { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' }, auth: { registration: false, jwksPath: false }, admin: { roles: [] } })
  await app.ready()
  t.teardown(() => app.close())
  const document = app.swagger() as unknown as OpenApiDocument & { components?: { securitySchemes?: Record<string, unknown> } }
  t.same(document.components?.securitySchemes, openApiSecuritySchemes, 'the bearer scheme is declared by the plugin\'s routes when the application did not')
  t.ok((await new Validator().validate(document as unknown as Record<string, unknown>)).valid, 'a valid document')
  const paths = Object.keys(document.paths).sort()
  // Reset, change and verification stay (built-in users have passwords, registered or added by the CLI); without
  // a public origin there are no links to send, so no /password/forgot or /email/verify/request.
  t.same(paths, ['/auth/email/verify', '/auth/login', '/auth/logout', '/auth/logout-all', '/auth/me', '/auth/password/change', '/auth/password/reset', '/auth/refresh', '/auth/sessions', '/auth/sessions/{id}'])
})

/** What an answer shows whatever the run: its status, the members of its JSON body and its error code. */
async function walkThrough (app: FastifyInstance): Promise<Array<{ step: string, status: number, members: string[], code: unknown }>> {
  const origin = { origin: 'http://localhost:80', host: 'localhost:80' }
  const credentials = { email: 'compilers@example.com', password: PASSWORD }
  const seen: Array<{ step: string, status: number, members: string[], code: unknown }> = []
  const step = async (name: string, request: InjectOptions): Promise<LightMyRequestResponse> => {
    const response = await app.inject(request)
    const body: unknown = response.body === '' ? null : response.json()
    const record = typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : {}
    seen.push({ step: name, status: response.statusCode, members: Object.keys(record).sort(), code: record.code })
    return response
  }
  await step('register', { method: 'POST', url: '/auth/register', payload: credentials })
  await step('register again', { method: 'POST', url: '/auth/register', payload: credentials })
  await step('login with a bad body', { method: 'POST', url: '/auth/login', payload: { email: ['x'], password: 'y' } })
  const login = await step('login', { method: 'POST', url: '/auth/login', payload: credentials })
  const refreshed = await step('refresh', { method: 'POST', url: '/auth/refresh', headers: { cookie: `authgate_rt=${cookieOf(login)?.value ?? ''}`, ...origin } })
  const access = bearer(refreshed.json<{ accessToken?: string }>().accessToken ?? '')
  await step('me', { method: 'GET', url: '/auth/me', headers: access })
  await step('me without a token', { method: 'GET', url: '/auth/me' })
  await step('sessions', { method: 'GET', url: '/auth/sessions?limit=5', headers: access })
  await step('sessions with a bad query', { method: 'GET', url: '/auth/sessions?limit=many', headers: access })
  await step('jwks', { method: 'GET', url: '/.well-known/jwks.json' })
  return seen
}

t.test('an application with its own compilers (a type provider\'s) still gets the auth routes\' answers', async (t) => {
  const options: AuthgateOptions = {
    store: { memory: true },
    auth: { registration: true },
    tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' }
  }
  const plain = Fastify({ logger: false })
  await plain.register(authgate, options)
  t.teardown(() => plain.close())
  // Like fastify-type-provider-zod's compilers given a JSON schema: every validation and serialization throws.
  const foreign = Fastify({ logger: false })
  foreign.setValidatorCompiler(() => () => { throw new Error('not a schema this compiler reads') })
  foreign.setSerializerCompiler(() => () => { throw new Error('not a schema this compiler reads') })
  await foreign.register(authgate, options)
  t.teardown(() => foreign.close())

  const expected = await walkThrough(plain)
  t.same(expected.map((answer) => answer.status), [201, 409, 400, 200, 200, 200, 401, 200, 400, 200], 'the plain application\'s answers')
  t.same(await walkThrough(foreign), expected, 'the same answers, bodies and codes')
})

/** Sessions as an older version or another writer left them: no email, no address, no user agent. */
class SparseSessionStore extends MemorySessionStore {
  override async createSession (session: NewSession): Promise<SessionRecord> {
    const { email: _email, ...rest } = session
    return super.createSession(rest as NewSession)
  }

  override async listUserSessions (...args: Parameters<MemorySessionStore['listUserSessions']>): Promise<SessionRecord[]> {
    const sessions = await super.listUserSessions(...args)
    return sessions.map((session) => ({ ...session, ip: null, userAgent: null }) as unknown as SessionRecord)
  }
}

t.test('a stored session without email, address or user agent is answered as it is, never a 500 after rotating', async (t) => {
  const app = Fastify({ logger: false })
  const handed = new Map<string, string>()
  app.addHook('preSerialization', async (request, _reply, payload) => {
    handed.set(request.url, JSON.stringify(payload))
    return payload
  })
  await app.register(authgate, {
    store: new SparseSessionStore(),
    // A user source of its own: refresh answers the user the session recorded.
    verifyCredentials: async (email) => email === 'sparse@example.com' ? { id: 'sparse-1', roles: ['reader'] } : null,
    tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' }
  })
  t.teardown(() => app.close())
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'sparse@example.com', password: PASSWORD } })
  t.equal(login.statusCode, 200)
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `authgate_rt=${cookieOf(login)?.value ?? ''}`, origin: 'http://localhost:80', host: 'localhost:80' } })
  t.equal(refreshed.statusCode, 200, 'the rotated refresh token reaches the client')
  t.same(refreshed.json<{ user: unknown }>().user, { id: 'sparse-1', roles: ['reader'] }, 'no email member, as the session has none')
  t.ok(cookieOf(refreshed)?.value, 'with its new refresh cookie')
  const access = bearer(refreshed.json<{ accessToken: string }>().accessToken)
  const sessions = await app.inject({ method: 'GET', url: '/auth/sessions', headers: access })
  t.equal(sessions.statusCode, 200)
  t.match(sessions.json(), [{ ip: null, userAgent: null }], 'a stored null stays null (not "")')
  for (const [url, answer] of [['/auth/refresh', refreshed], ['/auth/sessions', sessions]] as const) {
    t.same(answer.json(), JSON.parse(handed.get(url) ?? 'null'), `${url}: sent as handed over`)
  }
})
