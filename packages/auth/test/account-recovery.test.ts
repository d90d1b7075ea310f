// Password reset, password change and email verification (#15 item 1), on BOTH stores, with the links delivered by
// a real SMTP server on loopback and followed from the mail that arrived.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { useTestDatabase } from '@authgate/test-kit/database'
import { bearer, buildApp, cookieOf, login, PASSWORD, refresh, register, type StoreKind, storeOf } from './helpers/app.js'
import { RESET_MAIL, startSmtp, tokenOfMail, VERIFY_MAIL, type TestSmtp } from './helpers/smtp.js'
import type { PasswordResetEvent } from '../src/events.js'

const { name: database, db } = await useTestDatabase(t, 'recovery')
const smtp = await startSmtp()
t.teardown(() => smtp.close())

const ORIGIN = 'https://app.example.com'
const NEW_PASSWORD = 'a brand new passphrase'

async function recoveryApp (t: Test, kind: StoreKind, extra: Record<string, unknown> = {}, mail: TestSmtp | null = smtp): Promise<FastifyInstance> {
  return buildApp(t, kind, {
    database,
    options: {
      auth: { publicOrigin: ORIGIN, ...(extra.auth as object | undefined) },
      ...(mail === null ? {} : { mail: { smtp: { url: mail.url, from: 'Authgate <no-reply@example.com>' } } }),
      tokens: { revocationDelay: '1s' },
      ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'auth'))
    }
  })
}

async function forgot (app: FastifyInstance, email: string, headers: Record<string, string> = {}): Promise<{ statusCode: number, body: string }> {
  return app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email }, headers })
}

async function reset (app: FastifyInstance, token: string, password = NEW_PASSWORD): Promise<{ statusCode: number, json: () => { code?: string } }> {
  return app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token, password } })
}

for (const kind of ['memory', 'mongo'] as StoreKind[]) {
  t.test(`${kind}: a full reset by the mailed link; old password, sessions and refresh cookies die`, async (t) => {
    const app = await recoveryApp(t, kind)
    const email = `reset-${kind}@example.com`
    await register(app, email)
    const first = await login(app, email)
    const second = await login(app, email)
    const oldRt = cookieOf(first)!.value
    const oldAt = first.json<{ accessToken: string }>().accessToken
    const asked = await forgot(app, email)
    t.equal(asked.statusCode, 202)
    const mail = await smtp.next(email, RESET_MAIL)
    t.match(mail.subject, /reset/i)
    t.match(mail.from, /no-reply@example\.com/)
    const { link, token } = tokenOfMail(mail)
    t.ok(link.startsWith(`${ORIGIN}/reset-password#token=`), 'the link is on the public origin, the token in the fragment')
    if (kind === 'mongo') {
      const docs = await db.collection('oneTimeTokens').find({}).toArray()
      t.notOk(JSON.stringify(docs).includes(token), 'only the hash is stored')
      t.ok(docs.every((doc) => doc.expiresAt instanceof Date), 'each with its expiry')
    }
    t.equal((await reset(app, token)).statusCode, 204)
    t.equal((await login(app, email)).statusCode, 401, 'the old password fails')
    t.equal((await login(app, email, NEW_PASSWORD)).statusCode, 200, 'the new one works')
    t.equal((await refresh(app, oldRt)).statusCode, 401, 'an old refresh cookie fails')
    t.equal((await refresh(app, cookieOf(second)!.value)).statusCode, 401, 'every old session is revoked')
    t.equal((await app.inject({ url: '/private', headers: bearer(oldAt) })).statusCode, 401, 'old access tokens die (this instance at once)')
    const again = await reset(app, token, 'yet another passphrase')
    t.equal(again.statusCode, 400, 'a used token is refused')
    t.equal(again.json().code, 'AUTH_RESET_INVALID')
  })

  t.test(`${kind}: email verification by the mailed link; emailVerified in /me and the token; purpose-bound tokens`, async (t) => {
    const app = await recoveryApp(t, kind)
    const email = `verify-${kind}@example.com`
    await register(app, email)
    const logged = await login(app, email)
    const at = logged.json<{ accessToken: string }>().accessToken
    const me = await app.inject({ url: '/auth/me', headers: bearer(at) })
    t.match(me.json(), { user: { emailVerified: false }, claims: { email_verified: false } })
    t.equal((await app.inject({ method: 'POST', url: '/auth/email/verify/request', headers: bearer(at) })).statusCode, 202)
    const { token } = tokenOfMail(await smtp.next(email, VERIFY_MAIL))
    // A verification token is no reset token, and the reverse.
    const wrongPurpose = await reset(app, token)
    t.equal(wrongPurpose.statusCode, 400)
    t.equal(wrongPurpose.json().code, 'AUTH_RESET_INVALID')
    t.equal((await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token } })).statusCode, 204, 'the refused reset did not consume it')
    t.equal((await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token } })).json().code, 'AUTH_RESET_INVALID', 'single use')
    const after = await login(app, email)
    t.match(after.json(), { user: { emailVerified: true } })
    const claims = (await app.inject({ url: '/auth/me', headers: bearer(after.json<{ accessToken: string }>().accessToken) })).json()
    t.match(claims, { user: { emailVerified: true }, claims: { email_verified: true } })
    await forgot(app, email)
    const resetToken = tokenOfMail(await smtp.next(email, RESET_MAIL)).token
    const crossed = await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: resetToken } })
    t.equal(crossed.json().code, 'AUTH_RESET_INVALID', 'a reset token cannot verify')
    t.equal((await reset(app, resetToken)).statusCode, 204, 'and is still good for its own purpose')
  })

  t.test(`${kind}: concurrent double consume of one token: exactly one succeeds`, async (t) => {
    const app = await recoveryApp(t, kind)
    const email = `race-${kind}@example.com`
    await register(app, email)
    await forgot(app, email)
    const { token } = tokenOfMail(await smtp.next(email, RESET_MAIL))
    const answers = await Promise.all([reset(app, token, 'first racer passphrase'), reset(app, token, 'second racer passphrase')])
    t.same(answers.map((answer) => answer.statusCode).sort(), [204, 400])
    const won = answers[0].statusCode === 204 ? 'first racer passphrase' : 'second racer passphrase'
    t.equal((await login(app, email, won)).statusCode, 200, 'the winner\'s password holds')
  })

  t.test(`${kind}: an expired token is refused; a reset voids the other outstanding reset tokens`, async (t) => {
    const app = await recoveryApp(t, kind, { auth: { resetTtl: '1m' } })
    const email = `expire-${kind}@example.com`
    await register(app, email)
    await forgot(app, email)
    const { token: older } = tokenOfMail(await smtp.next(email, RESET_MAIL))
    await forgot(app, email)
    const { token: newer } = tokenOfMail(await smtp.next(email, RESET_MAIL))
    t.equal((await reset(app, newer)).statusCode, 204)
    t.equal((await reset(app, older, 'another passphrase 1')).json().code, 'AUTH_RESET_INVALID', 'the older link died with the reset')
    // Expiry: a token whose expiresAt has passed, written straight to the store, is refused (the filter, not the TTL monitor).
    await forgot(app, email)
    const { token: late } = tokenOfMail(await smtp.next(email, RESET_MAIL))
    const { hashOneTimeToken } = await import('../src/recovery/one-time-token.js')
    const past = new Date(Date.now() - 1000)
    if (kind === 'mongo') {
      await db.collection('oneTimeTokens').updateOne({ _id: hashOneTimeToken(late) as never }, { $set: { expiresAt: past } })
    } else {
      const store = storeOf(app)
      const record = await store.consumeOneTimeToken!(hashOneTimeToken(late), 'passwordReset', new Date())
      await store.createOneTimeToken!({ ...record!, expiresAt: past })
    }
    t.equal((await reset(app, late, 'another passphrase 2')).json().code, 'AUTH_RESET_INVALID', 'an expired token is refused')
  })

  t.test(`${kind}: change password needs the current one, revokes the other sessions, keeps the caller's`, async (t) => {
    const app = await recoveryApp(t, kind)
    const email = `change-${kind}@example.com`
    await register(app, email)
    const mine = await login(app, email)
    const other = await login(app, email)
    const at = mine.json<{ accessToken: string }>().accessToken
    const wrong = await app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(at), payload: { currentPassword: 'not the password', password: NEW_PASSWORD } })
    t.equal(wrong.statusCode, 401)
    t.equal(wrong.json().code, 'AUTH_INVALID_CREDENTIALS')
    const weak = await app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(at), payload: { currentPassword: PASSWORD, password: 'short' } })
    t.equal(weak.statusCode, 400, 'the registration policy applies')
    const changed = await app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(at), payload: { currentPassword: PASSWORD, password: NEW_PASSWORD } })
    t.equal(changed.statusCode, 204)
    t.equal((await app.inject({ url: '/private', headers: bearer(at) })).statusCode, 200, 'the caller\'s token still works')
    t.equal((await refresh(app, cookieOf(mine)!.value)).statusCode, 200, 'the caller\'s session goes on')
    t.equal((await refresh(app, cookieOf(other)!.value)).statusCode, 401, 'the other session is revoked')
    t.equal((await app.inject({ url: '/private', headers: bearer(other.json<{ accessToken: string }>().accessToken) })).statusCode, 401)
    t.equal((await login(app, email, NEW_PASSWORD)).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/auth/password/change', payload: { currentPassword: PASSWORD, password: NEW_PASSWORD } })).statusCode, 401, 'anonymous: 401')
  })

  t.test(`${kind}: requireVerifiedEmail refuses unverified accounts, only after the password verified`, async (t) => {
    const app = await recoveryApp(t, kind, { auth: { requireVerifiedEmail: true } })
    const email = `required-${kind}@example.com`
    await register(app, email)
    const wrong = await login(app, email, 'not the password')
    t.equal(wrong.statusCode, 401, 'a wrong password says nothing about verification')
    const refused = await login(app, email)
    t.equal(refused.statusCode, 403)
    t.equal(refused.json().code, 'AUTH_EMAIL_UNVERIFIED')
    t.notOk(cookieOf(refused), 'no session')
    // A reset link proves the mailbox: the account is verified by it.
    await forgot(app, email)
    t.equal((await reset(app, tokenOfMail(await smtp.next(email, RESET_MAIL)).token)).statusCode, 204)
    t.equal((await login(app, email, NEW_PASSWORD)).statusCode, 200)
  })
}

for (const kind of ['memory', 'mongo'] as StoreKind[]) {
  t.test(`${kind}: requireVerifiedEmail: register mails a verification link; following it lets the user in (no reset)`, async (t) => {
    const app = await recoveryApp(t, kind, { auth: { requireVerifiedEmail: true } })
    const email = `welcome-${kind}@example.com`
    t.equal((await register(app, email)).statusCode, 201)
    const { link, token } = tokenOfMail(await smtp.next(email, VERIFY_MAIL))
    t.ok(link.startsWith(`${ORIGIN}/verify-email#token=`))
    t.equal((await login(app, email)).json().code, 'AUTH_EMAIL_UNVERIFIED', 'not before the link is followed')
    // The refused login (password right) mails a fresh link: a lost first mail does not lock the user out.
    const again = tokenOfMail(await smtp.next(email, VERIFY_MAIL)).token
    t.not(again, token)
    t.equal((await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token } })).statusCode, 204)
    const signedIn = await login(app, email)
    t.equal(signedIn.statusCode, 200)
    t.match(signedIn.json(), { user: { emailVerified: true } })
  })
}

t.test('a listener alone gets the verification link of a new user; a wrong password at login sends none', async (t) => {
  const seen: string[] = []
  const app = await recoveryApp(t, 'memory', { auth: { requireVerifiedEmail: true }, events: { emailVerification: (event: { email: string }) => { seen.push(event.email) } } }, null)
  await register(app, 'listened@example.com')
  for (let waited = 0; waited < 5000 && seen.length === 0; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(seen, ['listened@example.com'], 'a listener alone gets the link of a new user')
  t.equal((await login(app, 'listened@example.com', 'not the password')).statusCode, 401)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(seen.length, 1, 'no link for a wrong password')
})

t.test('an account without a real email (OIDC placeholder) gets no reset link', async (t) => {
  const seen: string[] = []
  const app = await recoveryApp(t, 'memory', { events: { passwordReset: (event: { email: string }) => { seen.push(event.email) } } }, null)
  const id = '5b1e2c1e-0000-4000-8000-000000000001'
  await storeOf(app).createUser({ id, email: '', emailNormalized: `oidc:google:${id}`, roles: [] })
  t.equal((await forgot(app, `oidc:google:${id}`)).statusCode, 202)
  await register(app, 'real@example.com')
  await forgot(app, 'real@example.com')
  for (let waited = 0; waited < 5000 && seen.length === 0; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  // The placeholder's job was queued first: it has had the time to end.
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.same(seen, ['real@example.com'], 'nothing for the placeholder')
})

t.test('the SMTP sender delivers to exactly the stored address, even one an address-list parser would split', async (t) => {
  const { createSmtpSender } = await import('../src/recovery/smtp.js')
  const sender = await createSmtpSender({ url: smtp.url, from: 'Authgate <no-reply@example.com>' })
  t.teardown(() => { sender.close() })
  for (const address of ['a;b@x.example', 'p,x@x.example', 'e(c)@x.example']) {
    const subject = `to ${address}`
    await sender.send(address, { subject, text: 'hello' })
    const mail = smtp.mails.find((candidate) => candidate.subject === subject)
    // RFC 5321 quotes such a local part (`"a;b"@x.example`): the same mailbox.
    t.same(mail?.rcpt.map((rcpt) => rcpt.replace(/^"(.*)"@/, '$1@')), [address], `${address}: RCPT TO is that address, and only it`)
  }
})

t.test('events: passwordReset carries the link; passwordChanged and emailVerified are emitted; unknown emails emit nothing', async (t) => {
  const seen: Array<{ name: string, event: unknown }> = []
  const hook = (name: string) => (event: unknown) => { seen.push({ name, event }) }
  const app = await recoveryApp(t, 'memory', {
    events: { passwordReset: hook('passwordReset'), passwordChanged: hook('passwordChanged'), emailVerification: hook('emailVerification'), emailVerified: hook('emailVerified') }
  }, null)
  const email = 'events@example.com'
  const userId = (await register(app, email)).json<{ user: { id: string } }>().user.id
  await forgot(app, 'nobody@example.com')
  await forgot(app, email)
  // Jobs run in order: once the known email's event is in, the unknown one's job has ended too.
  for (let waited = 0; waited < 5000 && !seen.some((entry) => entry.name === 'passwordReset'); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  const resets = seen.filter((entry) => entry.name === 'passwordReset')
  t.equal(resets.length, 1, 'one event, for the existing account only')
  const event = resets[0]?.event as PasswordResetEvent
  t.match(event, { userId, email, link: new RegExp(`^${ORIGIN}/reset-password#token=`), token: String, expiresAt: Date, ip: String, at: Date })
  t.ok(event.expiresAt.getTime() - event.at.getTime() === 15 * 60_000, 'the default lifetime is 15 minutes')
  t.equal((await reset(app, event.token)).statusCode, 204)
  t.match(seen.find((entry) => entry.name === 'passwordChanged')?.event, { userId, via: 'reset', ip: String, userAgent: String, at: Date })
})

t.test('forgot answers the same for known and unknown emails, before any lookup', async (t) => {
  const app = await recoveryApp(t, 'mongo')
  await register(app, 'known@example.com')
  const known = await forgot(app, 'known@example.com')
  const unknown = await forgot(app, 'unknown@example.com')
  t.equal(known.statusCode, 202)
  t.equal(unknown.statusCode, 202)
  t.equal(known.body, unknown.body, 'the same body')
})

t.test('configuration: mail without a public origin is refused at registration, naming the keys', async (t) => {
  const app = (await import('fastify')).default({ logger: false })
  t.teardown(() => app.close())
  const { default: authgate } = await import('../src/index.js')
  const { testKey } = await import('./helpers/keys.js')
  app.register(authgate, { store: { memory: true }, tokens: { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' }, mail: { smtp: { url: smtp.url, from: 'x@example.com' } } })
  await t.rejects(async () => app.ready(), /mail\.smtp: needs auth\.publicOrigin/)
})

t.test('configuration: a template without {{link}} is refused', async (t) => {
  const app = (await import('fastify')).default({ logger: false })
  t.teardown(() => app.close())
  const { default: authgate } = await import('../src/index.js')
  const { testKey } = await import('./helpers/keys.js')
  app.register(authgate, { store: { memory: true }, auth: { publicOrigin: ORIGIN }, tokens: { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' }, mail: { templates: { passwordReset: { text: 'no link here' } } } })
  await t.rejects(async () => app.ready(), /mail\.templates\.passwordReset\.text: must hold the \{\{link\}\} placeholder/)
})

t.test('a mail server that refuses: forgot still answers 202; the failure is logged without the token or the link', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { default: authgate, MemorySessionStore } = await import('../src/index.js')
  const { addUser } = await import('../src/admin.js')
  const { testKey } = await import('./helpers/keys.js')
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
  t.teardown(() => app.close())
  const store = new MemorySessionStore()
  await addUser(store, { email: 'refused@example.com', password: PASSWORD })
  const tokens: string[] = []
  await app.register(authgate, {
    store, tokens: { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' }, auth: { publicOrigin: ORIGIN },
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    mail: { smtp: { url: 'smtp://127.0.0.1:1', from: 'no-reply@example.com' } },
    events: { passwordReset: (event) => { tokens.push(event.token) } }
  })
  await app.ready()
  t.equal((await forgot(app, 'refused@example.com')).statusCode, 202)
  for (let waited = 0; waited < 5000 && !lines.some((line) => line.includes('mail_delivery_failed')); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(lines.some((line) => line.includes('mail_delivery_failed')), 'the failure is logged')
  t.equal(tokens.length, 1)
  const log = lines.join('\n')
  t.notOk(log.includes(tokens[0] ?? '-'), 'no token in the log')
  t.notOk(log.includes('#token='), 'no link in the log')
})

t.test('a custom store without the recovery methods: refused at registration when mail asks for them, else the routes are left out', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { default: authgate, MemorySessionStore } = await import('../src/index.js')
  const { testKey } = await import('./helpers/keys.js')
  const oldStore = (): InstanceType<typeof MemorySessionStore> => Object.assign(new MemorySessionStore(), {
    setUserPassword: undefined, setEmailVerified: undefined, createOneTimeToken: undefined, consumeOneTimeToken: undefined, deleteOneTimeTokens: undefined
  })
  const tokens = { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' }
  const refused = Fastify({ logger: false })
  t.teardown(() => refused.close())
  refused.register(authgate, { store: oldStore(), tokens, auth: { publicOrigin: ORIGIN }, mail: { smtp: { url: smtp.url, from: 'x@example.com' } } })
  await t.rejects(async () => refused.ready(), /mail and auth\.requireVerifiedEmail need a store with setUserPassword, setEmailVerified, createOneTimeToken, consumeOneTimeToken, deleteOneTimeTokens/)
  const quiet = Fastify({ logger: false })
  t.teardown(() => quiet.close())
  await quiet.register(authgate, { store: oldStore(), tokens, auth: { publicOrigin: ORIGIN } })
  await quiet.ready()
  t.equal((await forgot(quiet, 'a@example.com')).statusCode, 404, 'no recovery routes')
  t.equal((await quiet.inject({ method: 'POST', url: '/auth/login', payload: { email: 'a@example.com', password: PASSWORD } })).statusCode, 401, 'the rest works')
})

t.test('MongoDB consume: a token deleted between the read and the delete (a concurrent void) is not used', async (t) => {
  const { consumeOneTimeToken } = await import('../src/stores/mongo/one-time.js')
  const doc = { _id: 'h', purpose: 'passwordReset', userId: 'u', email: 'a@example.com', createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000) }
  const voided = {
    findOne: async () => doc,
    insertOne: async () => ({ acknowledged: true }),
    deleteOne: async () => ({ acknowledged: true, deletedCount: 0 })
  }
  t.equal(await consumeOneTimeToken(voided as never, 'h', 'passwordReset', new Date(), 1000), null)
})

t.test('a failing passwordReset or emailVerification listener is logged by its kind only, never its message', async (t) => {
  const { createEvents } = await import('../src/events.js')
  const logged: Array<Record<string, unknown>> = []
  const secret = 'SECRET-TOKEN-VALUE'
  const fail = (): never => { throw Object.assign(new Error(`could not send ${secret}`), { code: 'EMAIL' }) }
  const events = createEvents({ passwordReset: fail, emailVerification: async () => { fail() }, logout: fail }, { warn: (object) => { logged.push(object) } })
  const at = new Date()
  events.emit('passwordReset', { userId: 'u', email: 'a@example.com', link: `x#token=${secret}`, token: secret, expiresAt: at, ip: '127.0.0.1', at })
  events.emit('emailVerification', { userId: 'u', email: 'a@example.com', link: `x#token=${secret}`, token: secret, expiresAt: at, ip: '127.0.0.1', at })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(logged.length, 2)
  // What a logger's error serializer would write: the message (and stack) would quote the token.
  const written = logged.map((entry) => entry.err instanceof Error ? { name: entry.err.name, message: entry.err.message, stack: entry.err.stack } : entry.err)
  t.notOk(JSON.stringify(written).includes(secret), 'no message, no token')
  t.strictSame(written, [{ name: 'Error', code: 'EMAIL' }, { name: 'Error', code: 'EMAIL' }])
  t.same(logged.map((entry) => entry.event), ['passwordReset', 'emailVerification'])
})

t.test('lockout: a reset forgives the user\'s login lockout; wrong current passwords at /password/change count in it', async (t) => {
  const app = await recoveryApp(t, 'memory', { rateLimit: { accountFailures: { max: 3, timeWindow: '1h' } } })
  const email = 'locked@example.com'
  await register(app, email)
  t.equal((await login(app, email)).statusCode, 200, 'a first login links the email to the user')
  for (let attempt = 0; attempt < 3; attempt++) await login(app, email, 'not the password')
  t.equal((await login(app, email)).statusCode, 429, 'locked')
  await forgot(app, email)
  t.equal((await reset(app, tokenOfMail(await smtp.next(email, RESET_MAIL)).token)).statusCode, 204)
  t.equal((await login(app, email, NEW_PASSWORD)).statusCode, 200, 'the reset forgave the lockout')

  const other = 'changer@example.com'
  await register(app, other)
  const at = (await login(app, other)).json<{ accessToken: string }>().accessToken
  const change = async (currentPassword: string): Promise<number> => (await app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(at), payload: { currentPassword, password: NEW_PASSWORD } })).statusCode
  for (let attempt = 0; attempt < 3; attempt++) t.equal(await change('not the password'), 401)
  t.equal((await login(app, other)).statusCode, 429, 'the failed changes locked the login')
  t.equal(await change(PASSWORD), 429, 'and the change itself')
})

t.test('mongo: a link issued before an email change is refused; the consumed marker carries expiresAt (the TTL index removes it)', async (t) => {
  const app = await recoveryApp(t, 'mongo')
  const email = 'moved@example.com'
  const userId = (await register(app, email)).json<{ user: { id: string } }>().user.id
  await forgot(app, email)
  const { token } = tokenOfMail(await smtp.next(email, RESET_MAIL))
  await db.collection('users').updateOne({ _id: userId as never }, { $set: { email: 'new-home@example.com', emailNormalized: 'new-home@example.com' } })
  t.equal((await reset(app, token)).json().code, 'AUTH_RESET_INVALID', 'the link belonged to the old address')
  const { hashOneTimeToken } = await import('../src/recovery/one-time-token.js')
  const marker = await db.collection('oneTimeTokens').findOne({ _id: `consumed:${hashOneTimeToken(token)}` as never })
  t.ok(marker?.expiresAt instanceof Date, 'the marker has the token\'s expiry')
  t.equal(marker?.purpose, 'consumed')
  t.equal((await login(app, 'new-home@example.com')).statusCode, 200, 'the password is unchanged')
})

t.test('per-account limits on /password/change and /email/verify/request (from any IP)', async (t) => {
  const app = await recoveryApp(t, 'memory', { rateLimit: { recoveryAccount: { max: 2, timeWindow: '15m' }, recovery: { max: 100, timeWindow: '15m' } } })
  const email = 'limited@example.com'
  await register(app, email)
  const at = (await login(app, email)).json<{ accessToken: string }>().accessToken
  const changes: number[] = []
  for (let index = 0; index < 3; index++) {
    changes.push((await app.inject({ method: 'POST', url: '/auth/password/change', headers: { ...bearer(at), 'x-forwarded-for': `203.0.113.${index}` }, payload: { currentPassword: 'wrong password', password: NEW_PASSWORD } })).statusCode)
  }
  t.same(changes, [401, 401, 429])
  const requests: number[] = []
  for (let index = 0; index < 3; index++) requests.push((await app.inject({ method: 'POST', url: '/auth/email/verify/request', headers: bearer(at) })).statusCode)
  t.same(requests, [202, 202, 429])
})

t.test('mongo: /password/change for a user without a password is refused like a wrong one, and sets none', async (t) => {
  const app = await recoveryApp(t, 'mongo')
  const email = 'no-password@example.com'
  const userId = (await register(app, email)).json<{ user: { id: string } }>().user.id
  const at = (await login(app, email)).json<{ accessToken: string }>().accessToken
  await db.collection('users').updateOne({ _id: userId as never }, { $unset: { passwordHash: '' } })
  const answer = await app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(at), payload: { currentPassword: PASSWORD, password: NEW_PASSWORD } })
  t.equal(answer.statusCode, 401)
  t.equal(answer.json().code, 'AUTH_INVALID_CREDENTIALS')
  t.equal((await db.collection('users').findOne({ _id: userId as never }))?.passwordHash, undefined, 'still no password')
})

t.test('mongo: a new token sweeps expired ones (bounded), without waiting for the TTL monitor', async (t) => {
  const app = await recoveryApp(t, 'mongo')
  const email = 'sweeper@example.com'
  await register(app, email)
  await smtp.next(email, VERIFY_MAIL)
  const past = new Date(Date.now() - 60_000)
  await db.collection('oneTimeTokens').insertMany([
    { _id: 'expired-a' as never, purpose: 'passwordReset', userId: 'x', email: 'x@example.com', createdAt: past, expiresAt: past },
    { _id: 'consumed:expired-b' as never, purpose: 'consumed', userId: 'x', email: 'x@example.com', createdAt: past, expiresAt: past }
  ])
  await forgot(app, email)
  await smtp.next(email, RESET_MAIL)
  t.equal(await db.collection('oneTimeTokens').countDocuments({ _id: { $in: ['expired-a', 'consumed:expired-b'] as never[] } }), 0, 'the expired token and marker are gone')
  t.ok(await db.collection('oneTimeTokens').countDocuments({ userId: { $ne: 'x' } }) >= 1, 'the live ones stay')
})
