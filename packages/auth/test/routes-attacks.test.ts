// docs/security.md sections C and D against the auth routes: garbage cookies, token confusion, CSRF, NoSQL injection,
// enumeration, oversized passwords, brute force.
import t from 'tap'
import { bearer, buildApp, cookieOf, login, PASSWORD, refresh, register, signIn } from './helpers/app.js'

t.test('garbage refresh cookies and an access token as the cookie answer 401, never 500', async (t) => {
  const app = await buildApp(t, 'memory')
  const { at, rt } = await signIn(app, 'garbage@example.com')
  const garbage = ['', 'x'.repeat(10 * 1024), '%%%not-base64%%%', 'j:{"$ne":""}', 'j%3A%7B%22%24ne%22%3A%22%22%7D', at, rt + 'A', rt.slice(1)]
  for (const value of garbage) {
    const answer = await refresh(app, value)
    t.equal(answer.statusCode, 401, `cookie ${JSON.stringify(value.slice(0, 20))}`)
    t.equal(answer.json().code, 'AUTH_REFRESH_INVALID')
  }
  const noCookie = await app.inject({ method: 'POST', url: '/auth/refresh' })
  t.equal(noCookie.statusCode, 401)
  const body = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: { $ne: null } } })
  t.equal(body.statusCode, 401, 'a token in the body is ignored')
  t.equal((await refresh(app, rt)).statusCode, 200, 'the real token still rotates: nothing above touched it')
})

t.test('CSRF: cross-site cookie requests are refused before anything happens', async (t) => {
  const app = await buildApp(t, 'memory', { options: { allowedOrigins: ['https://app.example.com'] } })
  const { rt } = await signIn(app, 'csrf@example.com')
  const crossSite = [
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { 'sec-fetch-site': 'cross-site' },
    { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }
  ]
  for (const headers of crossSite) {
    for (const url of ['/auth/refresh', '/auth/logout']) {
      const answer = await app.inject({ method: 'POST', url, headers: { cookie: `authgate_rt=${rt}`, ...headers }, payload: headers['content-type'] === undefined ? undefined : 'a=b' })
      t.equal(answer.statusCode, 403, `${url} ${JSON.stringify(headers)}`)
      t.equal(answer.json().code, 'AUTH_CROSS_SITE')
      t.equal(cookieOf(answer), undefined, 'no cookie change')
    }
  }
  t.equal((await app.inject({ method: 'GET', url: '/auth/logout', headers: { cookie: `authgate_rt=${rt}` } })).statusCode, 405)
  t.equal((await app.inject({ method: 'GET', url: '/auth/refresh', headers: { cookie: `authgate_rt=${rt}` } })).statusCode, 405)
  const allowed = await refresh(app, rt, { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' })
  t.equal(allowed.statusCode, 200, 'an allowed origin passes (and the token was not rotated by the refused calls)')
  const sameOrigin = await refresh(app, cookieOf(allowed)!.value, { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' })
  t.equal(sameOrigin.statusCode, 200, 'same origin passes')
})

t.test('CSRF behind a trusted proxy: a forged X-Forwarded-Host is never the own origin; publicOrigin is', async (t) => {
  const forged = { 'x-forwarded-host': 'evil.example', origin: 'http://evil.example' }
  const hostOnly = await buildApp(t, 'memory', { trustProxy: true })
  const first = await signIn(hostOnly, 'csrf-proxy@example.com')
  const refused = await refresh(hostOnly, first.rt, forged)
  t.equal(refused.statusCode, 403, 'Origin matching X-Forwarded-Host (Fastify\'s request.host) is refused')
  t.equal(refused.json().code, 'AUTH_CROSS_SITE')
  t.equal((await refresh(hostOnly, first.rt, { origin: 'http://localhost:80', host: 'localhost:80', 'x-forwarded-host': 'evil.example' })).statusCode, 200, 'the Host header itself still counts')

  const configured = await buildApp(t, 'memory', { trustProxy: true, options: { publicOrigin: 'https://app.example.com/' } })
  const second = await signIn(configured, 'csrf-public@example.com')
  for (const headers of [forged, { 'x-forwarded-host': 'app.example.com', origin: 'http://app.example.com' }, { origin: 'http://localhost:80', host: 'localhost:80' }]) {
    t.equal((await refresh(configured, second.rt, headers)).statusCode, 403, `publicOrigin set: ${JSON.stringify(headers)}`)
  }
  t.equal((await refresh(configured, second.rt, { origin: 'https://app.example.com' })).statusCode, 200, 'the public origin passes')

  const none = await buildApp(t, 'memory', { options: { publicOrigin: false, allowedOrigins: ['https://spa.example.com'] } })
  const third = await signIn(none, 'csrf-none@example.com')
  t.equal((await refresh(none, third.rt, { origin: 'http://localhost:80', host: 'localhost:80' })).statusCode, 403, 'publicOrigin false: the Host is not consulted')
  t.equal((await refresh(none, third.rt, { origin: 'https://spa.example.com' })).statusCode, 200, 'allowedOrigins still pass')
  await t.rejects(buildApp(t, 'memory', { options: { publicOrigin: 'https://app.example.com/path' } }), /publicOrigin: must be an origin/)
})

t.test('CSRF with SameSite=None: without Origin and Sec-Fetch-Site, the Referer\'s origin is judged; none at all is refused', async (t) => {
  const app = await buildApp(t, 'memory', { options: { cookie: { sameSite: 'none', secure: true }, allowedOrigins: ['https://spa.example.com'] } })
  const { rt } = await signIn(app, 'csrf-none-site@example.com')
  const refusedHeaders: Array<Record<string, string>> = [
    {},
    { referer: 'https://evil.example/attack' },
    { referer: 'https://spa.example.com.evil.example/' },
    { referer: 'not a url' },
    { referer: 'data:text/html,x' }
  ]
  for (const headers of refusedHeaders) {
    const answer = await refresh(app, rt, headers)
    t.equal(answer.statusCode, 403, `refused: ${JSON.stringify(headers)}`)
    t.equal(answer.json().code, 'AUTH_CROSS_SITE')
  }
  const fromSpa = await refresh(app, rt, { referer: 'https://spa.example.com/app/page?x=1' })
  t.equal(fromSpa.statusCode, 200, 'an allowed origin\'s Referer passes (and nothing above rotated the token)')
  const own = await refresh(app, cookieOf(fromSpa)!.value, { referer: 'http://localhost:80/account', host: 'localhost:80' })
  t.equal(own.statusCode, 200, 'the own origin\'s Referer passes')
  t.equal((await refresh(app, cookieOf(own)!.value, { 'sec-fetch-site': 'same-origin' })).statusCode, 200, 'Sec-Fetch-Site same-origin still decides when sent')

  const strict = await buildApp(t, 'memory')
  const second = await signIn(strict, 'csrf-strict-site@example.com')
  t.equal((await refresh(strict, second.rt)).statusCode, 200, 'SameSite=Strict: a request without any of them still passes (curl)')
})

t.test('NoSQL injection and wrong types are 400', async (t) => {
  const app = await buildApp(t, 'memory')
  await register(app, 'victim@example.com')
  const payloads = [
    { email: { $ne: null }, password: { $ne: null } },
    { email: { $gt: '' }, password: PASSWORD },
    { email: 'victim@example.com', password: { $ne: null } },
    { email: 'victim@example.com' },
    { email: 'victim@example.com', password: PASSWORD.repeat(100) }
  ]
  for (const payload of payloads) {
    const answer = await app.inject({ method: 'POST', url: '/auth/login', payload })
    t.equal(answer.statusCode, 400, JSON.stringify(payload).slice(0, 60))
    t.equal(answer.json().code, 'AUTH_BAD_REQUEST')
    t.equal(cookieOf(answer), undefined)
  }
  const huge = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'victim@example.com', password: 'p'.repeat(1024 * 1024) } })
  t.equal(huge.statusCode, 413, 'a 1 MB password is refused by the body limit')
  const broken = await app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' })
  t.equal(broken.statusCode, 400)
})

t.test('enumeration: unknown email and wrong password are indistinguishable', async (t) => {
  const app = await buildApp(t, 'memory')
  await register(app, 'known@example.com')
  const unknown = await login(app, 'unknown@example.com', 'wrong password!')
  const wrong = await login(app, 'known@example.com', 'wrong password!')
  t.equal(unknown.statusCode, 401)
  t.equal(wrong.statusCode, 401)
  t.equal(unknown.body, wrong.body)
  t.equal(unknown.json().code, 'AUTH_INVALID_CREDENTIALS')
  const strip = (headers: Record<string, unknown>): Record<string, unknown> => {
    const { date: _date, 'x-ratelimit-remaining': _remaining, 'x-ratelimit-reset': _reset, ...rest } = headers
    return rest
  }
  t.same(strip(unknown.headers), strip(wrong.headers), 'same headers')
  t.equal(cookieOf(unknown), undefined)
})

t.test('unicode and long passwords verify the same way (NFC)', async (t) => {
  const app = await buildApp(t, 'memory')
  const composed = 'pässwörd-\u00e9-'.repeat(8)
  const decomposed = composed.normalize('NFD')
  t.not(composed, decomposed)
  t.equal((await register(app, 'unicode@example.com', composed)).statusCode, 201)
  t.equal((await login(app, 'unicode@example.com', decomposed)).statusCode, 200)
  t.equal((await login(app, 'UNICODE@example.com ', composed)).statusCode, 200, 'email is case- and space-insensitive')
})

t.test('brute force: per-account lockout with Retry-After, also for the right password, from any IP', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: { accountFailures: { max: 3, timeWindow: '15m' }, login: { max: 100, timeWindow: '1m' } } } })
  await register(app, 'target@example.com')
  for (let attempt = 0; attempt < 3; attempt++) t.equal((await login(app, 'target@example.com', 'nope nope nope')).statusCode, 401)
  const locked = await login(app, 'target@example.com', PASSWORD)
  t.equal(locked.statusCode, 429, 'the right password during lockout is refused too')
  t.equal(locked.json().code, 'AUTH_RATE_LIMITED')
  t.ok(Number(locked.headers['retry-after']) > 0, 'Retry-After')
  const elsewhere = await app.inject({ method: 'POST', url: '/auth/login', remoteAddress: '10.9.9.9', payload: { email: 'target@example.com', password: PASSWORD } })
  t.equal(elsewhere.statusCode, 429, 'from another IP as well')
  t.equal((await signIn(app, 'bystander@example.com')).at.length > 0, true, 'other accounts unaffected')
})

t.test('brute force: 30 parallel wrong logins for one account verify at most max passwords', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: { accountFailures: { max: 5, timeWindow: '15m' }, login: { max: 100, timeWindow: '1m' } } } })
  await register(app, 'parallel@example.com')
  const answers = await Promise.all(Array.from({ length: 30 }, async () => login(app, 'parallel@example.com', 'wrong wrong wrong')))
  const statuses = answers.map((answer) => answer.statusCode)
  t.ok(statuses.filter((status) => status === 401).length <= 5, `at most 5 verified (${statuses.join(',')})`)
  t.equal(statuses.filter((status) => status === 429).length + statuses.filter((status) => status === 401).length, 30, 'the rest 429')
  t.ok(answers.filter((answer) => answer.statusCode === 429).every((answer) => Number(answer.headers['retry-after']) > 0), 'Retry-After')
  t.equal((await login(app, 'parallel@example.com', PASSWORD)).statusCode, 429, 'then locked')
})

t.test('brute force: per-IP limit on login via @fastify/rate-limit', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: { login: { max: 3, timeWindow: '1m' } } } })
  const answers = []
  for (let attempt = 0; attempt < 4; attempt++) answers.push(await login(app, `ip${attempt}@example.com`, 'whatever pass'))
  t.same(answers.map((answer) => answer.statusCode), [401, 401, 401, 429])
  t.equal(answers[3]!.json().code, 'AUTH_RATE_LIMITED')
  t.ok(answers[3]!.headers['retry-after'])
  const spoofed = await login(app, 'ip9@example.com', 'whatever pass', { 'x-forwarded-for': '1.2.3.4' })
  t.equal(spoofed.statusCode, 429, 'X-Forwarded-For does not reset the limit')
})

t.test('fixation: a planted cookie is never adopted at login', async (t) => {
  const app = await buildApp(t, 'memory')
  const attacker = await signIn(app, 'attacker@example.com')
  await register(app, 'victim2@example.com')
  const answer = await login(app, 'victim2@example.com', PASSWORD, { cookie: `authgate_rt=${attacker.rt}` })
  t.equal(answer.statusCode, 200)
  t.not(cookieOf(answer)?.value, attacker.rt)
  const me = await app.inject({ url: '/auth/me', headers: bearer(answer.json().accessToken) })
  t.equal(me.json().user.email, 'victim2@example.com')
})

t.test('device data is bounded: a 10 KB user agent is stored truncated', async (t) => {
  const app = await buildApp(t, 'memory')
  const { at } = await signIn(app, 'agent@example.com', { 'user-agent': 'A'.repeat(10 * 1024) })
  const sessions = (await app.inject({ url: '/auth/sessions', headers: bearer(at) })).json()
  t.equal(sessions[0].userAgent.length, 512)
})

t.test('bodies: an empty JSON body on refresh is no body; prototype poisoning is a 400', async (t) => {
  const app = await buildApp(t, 'memory')
  const { rt } = await signIn(app, 'bodies@example.com')
  const empty = await app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `authgate_rt=${rt}`, 'content-type': 'application/json' } })
  t.equal(empty.statusCode, 200, 'content-type json without a body is accepted')
  const poisoned = await app.inject({
    method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' },
    payload: '{"email":"bodies@example.com","password":"correct horse battery staple","__proto__":{"roles":["admin"]}}'
  })
  t.equal(poisoned.statusCode, 400)
  t.equal(poisoned.json().code, 'AUTH_BAD_REQUEST')
})

t.test('enumeration timing: an unknown email pays for a password verification too', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: false } })
  await register(app, 'timing@example.com')
  const median = async (email: string): Promise<number> => {
    const times: number[] = []
    for (let run = 0; run < 15; run++) {
      const started = process.hrtime.bigint()
      await login(app, email, 'wrong password!')
      times.push(Number(process.hrtime.bigint() - started) / 1e6)
    }
    return times.sort((a, b) => a - b)[7]!
  }
  const known = await median('timing@example.com')
  const unknown = await median('nobody-here@example.com')
  // Without the dummy verification an unknown email answers in well under a tenth of the argon2 time.
  t.ok(unknown > known * 0.3, `unknown ${unknown.toFixed(1)} ms vs known ${known.toFixed(1)} ms`)
})

t.test('CORS: a cross-site preflight to /auth gets no allow-origin or credentials', async (t) => {
  const app = await buildApp(t, 'memory')
  const answer = await app.inject({ method: 'OPTIONS', url: '/auth/refresh', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
  t.equal(answer.headers['access-control-allow-origin'], undefined)
  t.equal(answer.headers['access-control-allow-credentials'], undefined)
})
