// app.authgate.sessions (issue #13 item 4): an application signs users in from its own route, lists and revokes their
// sessions; and the `authenticateDecorator` option that renames app.authenticate.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { useTestDatabase } from '@authgate/test-kit/database'
import authgate, { type AuthgateOptions, type LoginEvent, type LogoutEvent } from '../src/index.js'
import { addUser } from '../src/admin.js'
import { bearer, cookieOf, refresh, storeOf, storeOption, type StoreKind } from './helpers/app.js'
import { testKey } from './helpers/keys.js'

const { name: database } = await useTestDatabase(t, 'sessions_api')
const PASSWORD = 'correct horse battery staple'

/** An app with a sign-in route of its own, which hands the body's user to sessions.issue. */
async function appWithOwnSignIn (t: Test, kind: StoreKind, options: Partial<AuthgateOptions> = {}): Promise<{ app: FastifyInstance, logins: LoginEvent[], logouts: LogoutEvent[] }> {
  const logins: LoginEvent[] = []
  const logouts: LogoutEvent[] = []
  const app = Fastify({ logger: false })
  await app.register(authgate, {
    store: storeOption(kind, database),
    tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' },
    events: { login: (event) => { logins.push(event) }, logout: (event) => { logouts.push(event) } },
    ...options
  })
  app.post<{ Body: { user: unknown } }>('/auth/own-sign-in', { config: { auth: 'none' } }, async (request, reply) => {
    const answer = await app.authgate.sessions.issue(request.body.user as { id: string }, request, reply)
    return reply.send(answer)
  })
  app.get('/private', { config: { auth: 'required' } }, async (request) => ({ sub: request.user?.sub, roles: request.user?.roles }))
  t.teardown(() => app.close())
  await app.ready()
  return { app, logins, logouts }
}

const signInOwn = async (app: FastifyInstance, user: unknown) => app.inject({ method: 'POST', url: '/auth/own-sign-in', payload: { user } })

for (const kind of ['memory', 'mongo'] as const) {
  t.test(`${kind}: a stored user signed in by the app's route gets a session like /login's`, async (t) => {
    const { app, logins, logouts } = await appWithOwnSignIn(t, kind)
    const { id: userId } = await addUser(storeOf(app), { email: `own-${kind}@example.com`, password: PASSWORD, roles: ['user'] })
    // Roles the caller claims are not taken: with the built-in users, the store says who the user is.
    const response = await signInOwn(app, { id: userId, roles: ['admin'], email: 'someone-else@example.com' })
    t.equal(response.statusCode, 200)
    const body = response.json<{ accessToken: string, tokenType: string, expiresIn: number, user: { id: string, email: string, roles: string[] }, sessionId: string }>()
    t.equal(body.tokenType, 'Bearer')
    t.same(body.user, { id: userId, email: `own-${kind}@example.com`, roles: ['user'] }, 'the stored email and roles')
    t.equal(response.headers['cache-control'], 'no-store')
    const rt = cookieOf(response)?.value
    t.type(rt, 'string', 'the refresh cookie is set')
    t.ok(cookieOf(response, 'authgate_did'), 'and the device cookie')
    const me = await app.inject({ url: '/private', headers: bearer(body.accessToken) })
    t.same(me.json(), { sub: userId, roles: ['user'] })
    t.equal(logins.length, 1, 'the login event')
    t.equal(logins[0]?.sessionId, body.sessionId)

    const rotated = await refresh(app, rt!)
    t.equal(rotated.statusCode, 200, 'the refresh token rotates')
    t.equal((await refresh(app, rt!)).statusCode, 200, 'the retired one within the grace window gets the same successor')

    const listed = await app.authgate.sessions.list(userId)
    t.same(listed.map((session) => session.id), [body.sessionId])
    t.same(Object.keys(listed[0]!).sort(), ['createdAt', 'device', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent'], 'no token hash is listed')

    t.equal(await app.authgate.sessions.revoke(userId, 'not-one-of-theirs'), false, 'a session of nobody: nothing revoked')
    t.equal(await app.authgate.sessions.revoke('someone-else', body.sessionId), false, 'another user\'s session: nothing revoked')
    t.equal(logouts.length, 0, 'and no logout event for either')
    t.equal(await app.authgate.sessions.revoke(userId, body.sessionId), true)
    t.match(logouts, [{ userId, sessionIds: [body.sessionId], reason: 'revoke-session', ip: '' }], 'the logout event (no request given: no address)')
    const after = await app.inject({ url: '/private', headers: bearer(body.accessToken) })
    t.equal(after.statusCode, 401, 'its access token is refused at once on this instance')
    t.equal(after.json<{ code: string }>().code, 'AUTH_SESSION_REVOKED')
    t.same(await app.authgate.sessions.list(userId), [])
  })
}

t.test('built-in users: an unknown id is 401, a disabled user 403, and neither gets a session', async (t) => {
  const { app, logins } = await appWithOwnSignIn(t, 'memory')
  const unknown = await signInOwn(app, { id: 'no-such-user' })
  t.equal(unknown.statusCode, 401)
  t.equal(unknown.json<{ code: string }>().code, 'AUTH_INVALID_CREDENTIALS')
  t.equal(cookieOf(unknown), undefined)
  const { id: userId } = await addUser(storeOf(app), { email: 'off@example.com', password: PASSWORD })
  await storeOf(app).setUserDisabled?.(userId, true, new Date())
  const disabled = await signInOwn(app, { id: userId })
  t.equal(disabled.statusCode, 403)
  t.equal(disabled.json<{ code: string }>().code, 'AUTH_USER_DISABLED')
  t.same(await app.authgate.sessions.list(userId), [])
  t.equal(logins.length, 0)
})

t.test('users elsewhere (verifyCredentials): the given user is taken, its roles reach the token', async (t) => {
  const { app, logouts } = await appWithOwnSignIn(t, 'memory', { verifyCredentials: async () => null })
  const response = await signInOwn(app, { id: 'ext-42', email: 'ext@example.com', roles: ['admin', 'user'] })
  t.equal(response.statusCode, 200)
  const { accessToken } = response.json<{ accessToken: string }>()
  t.same((await app.inject({ url: '/private', headers: bearer(accessToken) })).json(), { sub: 'ext-42', roles: ['admin', 'user'] })
  t.equal((await signInOwn(app, { id: 'ext-42' })).statusCode, 200, 'a second device')
  const ended = await app.authgate.sessions.revokeAll('ext-42')
  t.equal(ended.length, 2, 'revokeAll ends every session of the user')
  t.match(logouts, [{ userId: 'ext-42', reason: 'logout-all', sessionIds: ended }])
  t.equal((await app.inject({ url: '/private', headers: bearer(accessToken) })).statusCode, 401)
  t.same(await app.authgate.sessions.revokeAll('ext-42'), [], 'nothing left: no ids')
  t.equal(logouts.length, 1, 'and no second event')
})

t.test('requireVerifiedEmail holds for sessions.issue too', async (t) => {
  const { app } = await appWithOwnSignIn(t, 'memory', { auth: { requireVerifiedEmail: true, publicOrigin: 'https://app.example' } })
  const { id: userId, emailNormalized } = await addUser(storeOf(app), { email: 'unverified@example.com', password: PASSWORD })
  const refused = await signInOwn(app, { id: userId })
  t.equal(refused.statusCode, 403)
  t.equal(refused.json<{ code: string }>().code, 'AUTH_EMAIL_UNVERIFIED')
  t.equal(await storeOf(app).setEmailVerified?.(userId, emailNormalized, new Date()), true)
  t.equal((await signInOwn(app, { id: userId })).statusCode, 200, 'once verified')
})

t.test('list shows a session of the old format by its derived id, never the device cookie itself', async (t) => {
  const { app } = await appWithOwnSignIn(t, 'memory')
  const { id: userId } = await addUser(storeOf(app), { email: 'old@example.com', password: PASSWORD })
  const cookieValue = 'A'.repeat(22)
  const now = new Date()
  await storeOf(app).createSession({
    id: 'old-session', userId, familyId: 'old-session', tokenHash: 'f'.repeat(64), roles: [], email: null, device: cookieValue,
    ip: '127.0.0.1', userAgent: 'ua', createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000)
  })
  const [listed] = await app.authgate.sessions.list(userId)
  t.equal(listed?.id, 'old-session')
  t.not(listed?.device, cookieValue, 'not the cookie value')
  t.match(listed?.device, /^[A-Za-z0-9_-]+$/)
})

t.test('list and revoke take ids only: an object (a parsed body passed on) is a TypeError, never a store filter', async (t) => {
  const { app, logouts } = await appWithOwnSignIn(t, 'memory')
  const { id: userId } = await addUser(storeOf(app), { email: 'victim@example.com', password: PASSWORD })
  const signedIn = await signInOwn(app, { id: userId })
  const { sessionId } = signedIn.json<{ sessionId: string }>()
  const operator = { $ne: null } as unknown as string
  await t.rejects(app.authgate.sessions.list(operator), { name: 'TypeError', message: /userId must be/ })
  await t.rejects(app.authgate.sessions.revoke(operator, sessionId), { name: 'TypeError', message: /userId must be/ })
  await t.rejects(app.authgate.sessions.revoke(userId, operator), { name: 'TypeError', message: /sessionId must be/ })
  await t.rejects(app.authgate.sessions.revoke(userId, undefined as unknown as string), { name: 'TypeError', message: /sessionId must be/ }, 'a missing session id is not "all"')
  await t.rejects(app.authgate.sessions.revokeAll(''), { name: 'TypeError' })
  await t.rejects(app.authgate.sessions.revokeAll('a\nb'), { name: 'TypeError' })
  t.equal((await app.authgate.sessions.list(userId)).length, 1, 'the session is still there')
  t.equal(logouts.length, 0)
})

t.test('issue outside the auth prefix: warned once (the device cookie is not sent there)', async (t) => {
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(authgate, { tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' } })
  app.post('/elsewhere', { config: { auth: 'none' } }, async (request, reply) => reply.send(await app.authgate.sessions.issue({ id: userId }, request, reply)))
  t.teardown(() => app.close())
  await app.ready()
  const { id: userId } = await addUser(storeOf(app), { email: 'elsewhere@example.com', password: PASSWORD })
  t.equal((await app.inject({ method: 'POST', url: '/elsewhere' })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/elsewhere' })).statusCode, 200)
  t.equal(lines.filter((line) => line.includes('sessions_issue_outside_prefix')).length, 1)
})

t.test('a malformed user is the calling code\'s bug: a TypeError naming the field, and no session', async (t) => {
  const { app } = await appWithOwnSignIn(t, 'memory', { verifyCredentials: async () => null })
  const request = {} as never
  const reply = {} as never
  const cases: Array<[unknown, RegExp]> = [
    [null, /user must be an object/],
    ['ext-1', /user must be an object/],
    [{}, /user\.id must be/],
    [{ id: '' }, /user\.id must be/],
    [{ id: 'a\r\nx-injected: 1' }, /user\.id must be/],
    [{ id: 'x'.repeat(1025) }, /user\.id must be/],
    [{ id: 'ext-1', roles: 'admin' }, /user\.roles must be/],
    [{ id: 'ext-1', roles: ['a,b'] }, /user\.roles must be/],
    [{ id: 'ext-1', roles: Array.from({ length: 101 }, (_, index) => `r${index}`) }, /user\.roles must be/],
    [{ id: 'ext-1', email: 42 }, /user\.email must be a string/]
  ]
  for (const [user, message] of cases) {
    await t.rejects(app.authgate.sessions.issue(user as { id: string }, request, reply), { name: 'TypeError', message }, `${message.source} for ${typeof user}`)
  }
  t.same(await app.authgate.sessions.list('ext-1'), [])
  const answered = await signInOwn(app, { id: 'bad\u0000id' })
  t.equal(answered.statusCode, 500, 'through a route: a server error, not a session')
  t.equal(cookieOf(answered), undefined)
})

/** The application's own `authenticate` decorator, as the @fastify/jwt README teaches it (any value will do here). */
function decorateOwn (app: FastifyInstance): void {
  Reflect.apply(app.decorate, app, ['authenticate', 'the app\'s own'])
}

t.test('authenticateDecorator renames app.authenticate, or leaves it out', async (t) => {
  const build = async (authenticateDecorator: string | false | undefined): Promise<FastifyInstance> => {
    const app = Fastify({ logger: false })
    // The pattern @fastify/jwt's README teaches: the application's own `authenticate`.
    if (authenticateDecorator !== undefined) decorateOwn(app)
    await app.register(authgate, { tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' }, ...(authenticateDecorator === undefined ? {} : { authenticateDecorator }) })
    t.teardown(() => app.close())
    return app
  }
  const renamed = await build('requireToken')
  renamed.get('/guarded', { preHandler: renamed.authgate.requireAuth }, async () => 'ok')
  await renamed.ready()
  t.equal((renamed as unknown as Record<string, unknown>).authenticate, 'the app\'s own', 'the app\'s decorator is left alone')
  t.equal((renamed as unknown as Record<string, unknown>).requireToken, renamed.authgate.requireAuth, 'authgate\'s under the new name')
  t.equal((await renamed.inject({ url: '/guarded' })).statusCode, 401, 'the preHandler requires a token')

  const without = await build(false)
  await without.ready()
  t.equal((without as unknown as Record<string, unknown>).authenticate, 'the app\'s own')
  t.type(without.authgate.requireAuth, 'function')

  const clash = Fastify({ logger: false })
  decorateOwn(clash)
  t.teardown(() => clash.close())
  await t.rejects(async () => {
    await clash.register(authgate, { tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' } })
    await clash.ready()
  }, { code: 'FST_ERR_DEC_ALREADY_PRESENT' }, 'the default name on an app that has one: Fastify says so')

  for (const bad of ['', '1st', 'has space', 'a-b', true, 42]) {
    const app = Fastify({ logger: false })
    t.teardown(() => app.close())
    await t.rejects(async () => {
      await app.register(authgate, { tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' }, authenticateDecorator: bad as string })
      await app.ready()
    }, { name: 'ConfigValidationError', message: /authenticateDecorator/ }, `refused: ${JSON.stringify(bad)}`)
  }
})
