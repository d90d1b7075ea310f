// Issue #11 items 9 and 15 in the gateway's configuration: self-registration is off unless `auth.registration: true`
// (in front of a legacy API it would let any stranger past every `auth: required` route), and `server.publicOrigin`
// is the origin the cookie endpoints' CSRF check compares with behind a proxy.
import t from 'tap'
import { parseConfig } from '../src/config.js'
import { startGateway, startUpstream } from './helpers.js'

const minimal = { tokens: { keysDir: '/k' }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] }
const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

t.test('auth.registration: off by default, on only when set to true', async (t) => {
  t.equal(parseConfig(minimal).registration, false)
  t.equal(parseConfig({ ...minimal, auth: { registration: true } }).registration, true)
  t.equal(parseConfig({ ...minimal, auth: { registration: '${OPEN}' } }, { env: { OPEN: 'true' } }).registration, true, 'the string spelling of ${VAR}s')
  t.throws(() => parseConfig({ ...minimal, auth: { registration: 'true' } }), /auth\.registration: must be true or false/, 'literal text is not a boolean (no coercion since #12)')
  t.throws(() => parseConfig({ ...minimal, auth: { registration: 'yes' } }), /auth\.registration/)
})

t.test('a gateway without auth.registration answers 404 to POST /auth/register and creates nobody', async (t) => {
  const upstream = await startUpstream(t)
  const routes = [{ prefix: '/api', upstream: upstream.url, auth: 'required' }]
  const closed = await startGateway(t, { routes, cookie: { secure: false } })
  const credentials = { email: 'stranger@example.com', password: 'correct horse battery staple' }
  for (const path of ['/auth/register', '/auth/register/', '/auth//register', '/AUTH/register', '/auth/%72egister']) {
    const answer = await fetch(`${closed.origin}${path}`, json(credentials))
    t.not(answer.status, 201, `${path} creates no user (${answer.status})`)
    t.ok(answer.status === 404 || answer.status === 400, `${path}: 404 or 400, got ${answer.status}`)
  }
  t.equal((await fetch(`${closed.origin}/auth/login`, json(credentials))).status, 401, 'and nobody can log in as the stranger')
  t.equal(upstream.seen.length, 0)

  const open = await startGateway(t, { routes, cookie: { secure: false }, auth: { registration: true } })
  t.equal((await fetch(`${open.origin}/auth/register`, json(credentials))).status, 201, 'auth.registration: true opens it')
})

t.test('server.publicOrigin: an origin, normalised; paths, credentials and other schemes refused', async (t) => {
  t.equal(parseConfig(minimal).server.publicOrigin, undefined)
  t.equal(parseConfig({ ...minimal, server: { publicOrigin: 'https://App.Example.com:443/' } }).server.publicOrigin, 'https://app.example.com')
  t.equal(parseConfig({ ...minimal, server: { publicOrigin: 'http://127.0.0.1:8080' } }).server.publicOrigin, 'http://127.0.0.1:8080')
  for (const bad of ['app.example.com', 'https://app.example.com/auth', 'https://u:p@app.example.com', 'ftp://app.example.com', 'https://app.example.com?x=1', 42]) {
    t.throws(() => parseConfig({ ...minimal, server: { publicOrigin: bad } }), /server\.publicOrigin/, JSON.stringify(bad))
  }
})
