// Hardening, data safety (docs/security.md C.37–C.38, D.50; docs/design.md#gateway: logs redact tokens): after
// a full flow — register, a failed login, login, refreshes, a reuse, logout, logout-all — no plaintext password,
// refresh token or access token appears in any document of the database, in any log line of the app (pino at
// trace level, into an array) or in any event the plugin emitted. Each secret is also looked for in its other
// spellings (hex and base64 of a token's bytes, base64 of the password).
import t from 'tap'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, login, logout, PASSWORD, refresh, register, sleep, startApp } from './helpers/app.js'

const { url, name: database, db } = await useTestDatabase(t, 'safety')

function spellings (secret: string, kind: 'token' | 'password'): string[] {
  const forms = [secret]
  if (kind === 'token') {
    const bytes = Buffer.from(secret, 'base64url')
    forms.push(bytes.toString('hex'), bytes.toString('base64'))
  } else {
    forms.push(Buffer.from(secret, 'utf8').toString('base64'), Buffer.from(secret, 'utf8').toString('base64url'), encodeURIComponent(secret))
  }
  return forms
}

t.test('no password, refresh token or access token in the database, the logs or the events', async (t) => {
  const logLines: string[] = []
  const events: string[] = []
  const record = (name: string) => (event: unknown): void => { events.push(`${name} ${JSON.stringify(event)}`) }
  const { base } = await startApp(t, {
    url, database,
    logger: { level: 'trace', stream: { write: (line: string) => { logLines.push(line) } } },
    options: {
      tokens: { reuseGrace: '300ms' },
      events: { login: record('login'), logout: record('logout'), newDevice: record('newDevice'), refreshReuse: record('refreshReuse') }
    }
  })
  const email = 'safety@example.com'
  const password = `${PASSWORD} ünïcode`
  const refreshTokens: string[] = []
  const accessTokens: string[] = []

  t.equal((await register(base, email, password)).status, 201)
  const wrong = await login(base, email, `${password}!`)
  t.equal(wrong.status, 401, 'a failed login (its password is a secret too)')
  const first = await login(base, email, password)
  t.equal(first.status, 200)
  refreshTokens.push(first.rt!)
  accessTokens.push(first.body.accessToken)
  let current = first.rt!
  for (let round = 0; round < 2; round++) {
    const next = await refresh(base, current)
    t.equal(next.status, 200)
    refreshTokens.push(next.rt!)
    accessTokens.push(next.body.accessToken)
    current = next.rt!
  }
  t.equal((await call(base, '/auth/me', { bearer: accessTokens[2] })).status, 200)
  await sleep(500)
  const reused = await refresh(base, refreshTokens[0]!)
  t.equal(reused.status, 401, 'a reuse (logged as a warning, with an event)')
  t.equal(reused.body.code, 'AUTH_REFRESH_REUSED')

  const second = await login(base, email, password)
  t.equal(second.status, 200)
  refreshTokens.push(second.rt!)
  accessTokens.push(second.body.accessToken)
  const third = await login(base, email, password)
  refreshTokens.push(third.rt!)
  accessTokens.push(third.body.accessToken)
  t.equal((await logout(base, second.rt!)).status, 204)
  t.equal((await call(base, '/auth/logout-all', { method: 'POST', bearer: third.body.accessToken })).status, 204)
  t.equal((await call(base, '/private', { bearer: third.body.accessToken })).status, 401)
  t.equal(new Set(refreshTokens).size, 5, 'five distinct refresh tokens were used')

  const dump: string[] = []
  for (const { name } of await db.listCollections().toArray()) {
    for (const doc of await db.collection(name).find({}).toArray()) dump.push(`${name} ${JSON.stringify(doc)}`)
  }
  t.ok(dump.some((line) => line.startsWith('users ')), 'the dump holds the users collection')
  t.ok(dump.some((line) => line.startsWith('sessions ')), 'and the sessions')
  t.ok(logLines.length > 10, `log lines were captured (${logLines.length})`)
  t.ok(logLines.some((line) => line.includes('refresh_reuse')), 'including the reuse warning')
  t.ok(events.some((line) => line.startsWith('refreshReuse ')), 'the reuse event fired')

  const places = { database: dump, logs: logLines, events }
  const secrets: Array<[string, string[]]> = [
    ['the password', spellings(password, 'password')],
    ['the wrong password', spellings(`${password}!`, 'password')],
    ...refreshTokens.map((rt, index): [string, string[]] => [`refresh token #${index + 1}`, spellings(rt, 'token')]),
    // The whole token, and its signature alone (distinctive even if a token were logged in parts).
    ...accessTokens.map((at, index): [string, string[]] => [`access token #${index + 1}`, [at, at.split('.')[2] ?? at]])
  ]
  for (const [where, lines] of Object.entries(places)) {
    const found: string[] = []
    for (const [what, forms] of secrets) {
      if (lines.some((line) => forms.some((form) => line.includes(form)))) found.push(what)
    }
    t.same(found, [], `nothing secret in the ${where}`)
  }
  const user = await db.collection('users').findOne({})
  t.match(String(user?.passwordHash), /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/, 'the password is stored as an argon2id hash only')
})
