// The plugin's `oidc` option and `returnTo` rules (issue #14 item 2): bad input is refused at registration with the
// path of every mistake; defaults are filled from the schema; `returnTo` never leaves the site.
import Fastify from 'fastify'
import t from 'tap'
import { generateKey } from '../src/tokens.js'
import authgate, { MemorySessionStore, type SessionStore } from '../src/index.js'
import { normaliseOidc } from '../src/oidc/options.js'
import { safeReturnTo } from '../src/oidc/return-to.js'

const provider = { name: 'corp', issuer: 'https://sso.example.com', clientId: 'authgate', clientSecret: 'secret' }

t.test('defaults come from the schema; the input is not written to', async (t) => {
  const input = { providers: [provider] }
  const oidc = normaliseOidc(input)
  t.match(oidc, {
    linkByVerifiedEmail: false,
    stateTtlMs: 600_000,
    providers: [{ ...provider, scopes: ['openid', 'email', 'profile'], claims: { email: ['email'], emailVerified: ['email_verified'], name: ['name'] } }]
  })
  t.same(input, { providers: [provider] }, 'ajv filled defaults into a copy')
  t.equal(normaliseOidc(undefined), undefined)
  // A duration like every other: text with a unit, or a bare number of milliseconds.
  t.equal(normaliseOidc({ providers: [provider], stateTtl: '90s' })?.stateTtlMs, 90_000)
  t.equal(normaliseOidc({ providers: [provider], stateTtl: 120_000 })?.stateTtlMs, 120_000)
  t.throws(() => normaliseOidc({ providers: [provider], stateTtl: 600 }), /oidc\.stateTtl: must be from 30 s to 1 h/, 'seconds as a bare number are refused, not read as 600 ms')
  t.match(normaliseOidc({ providers: [{ ...provider, issuer: 'http://127.0.0.1:9999', claims: { emailVerified: 'profile.verified' } }] }),
    { providers: [{ issuer: 'http://127.0.0.1:9999', claims: { emailVerified: ['profile', 'verified'] } }] }, 'http to loopback only')
})

t.test('every mistake is named by its path (allErrors)', async (t) => {
  const error = (input: unknown): string => { try { normaliseOidc(input) } catch (e) { return (e as Error).message } return 'no error' }
  const many = error({ providers: [{ name: 'UPPER', issuer: '', clientId: 'x' }], stateTtl: 5 })
  t.match(many, /oidc\.providers\[0\]\.name: must match \^\[a-z0-9\]/)
  t.match(many, /oidc\.providers\[0\]\.issuer: must not be empty/)
  t.match(many, /oidc\.providers\[0\]\.clientSecret: is required/)
  t.match(many, /oidc\.stateTtl: must be from 30 s to 1 h/)
  t.match(error({ providers: [{ ...provider, issuer: 'https://sso.example.com/?x=1' }] }), /oidc\.providers\[0\]\.issuer: must not hold a query/)
  t.match(error({ providers: [{ ...provider, issuer: 'ftp://sso.example.com' }] }), /oidc\.providers\[0\]\.issuer: must be an https URL/)
  t.match(error({ providers: [{ ...provider, scopes: ['openid', 'bad scope'] }] }), /oidc\.providers\[0\]\.scopes\[1\]: must match \^/)
  t.match(error(null), /^oidc: must be an object/)
})

t.test('registration fails with the path; a store without oidcStore() is refused', async (t) => {
  const tokens = { keys: [generateKey('EdDSA')] }
  const bad = Fastify({ logger: false })
  t.teardown(() => bad.close())
  await t.rejects((async () => {
    await bad.register(authgate, { tokens, oidc: { providers: [{ ...provider, name: 'a b' }] } })
    await bad.ready()
  })(), /oidc\.providers\[0\]\.name/)
  const memory = new MemorySessionStore()
  // The memory store minus its oidcStore(): a custom SessionStore written before OIDC existed.
  const custom: SessionStore = new Proxy(memory, {
    get: (target, key) => {
      if (key === 'oidcStore') return undefined
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
  const noOidc = Fastify({ logger: false })
  t.teardown(() => noOidc.close())
  await t.rejects((async () => {
    await noOidc.register(authgate, { tokens, store: custom, oidc: { providers: [provider] } })
    await noOidc.ready()
  })(), /oidc: the configured store cannot hold OIDC identities/)
})

t.test('returnTo: paths of this site and allowed origins only', async (t) => {
  const allowed = new Set(['https://app.example.com'])
  for (const [value, expected] of [
    ['/app/?tab=1#x', '/app/?tab=1#x'],
    ['/', '/'],
    ['https://app.example.com/home', 'https://app.example.com/home'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['/.//evil.example', '/'],
    ['/..//evil.example', '/'],
    ['/%2e//evil.example', '/'],
    ['/a/..//evil.example', '/'],
    ['/a/../b', '/b'],
    ['\\\\evil.example', '/'],
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['https://evil.example/', '/'],
    ['https://app.example.com.evil.example/', '/'],
    ['https://user:pw@app.example.com/', '/'],
    ['javascript:alert(1)', '/'],
    ['http:evil.example', '/'],
    ['data:text/html,x', '/'],
    ['evil.example', '/'],
    ['/' + 'a'.repeat(3000), '/'],
    ['', '/']
  ] as const) {
    t.equal(safeReturnTo(value, allowed), expected, JSON.stringify(value))
  }
  t.equal(safeReturnTo(['/a', '/b'], allowed), '/', 'a repeated query parameter')
  t.equal(safeReturnTo(undefined, allowed), '/')
})
