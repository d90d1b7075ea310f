// tokens.trustedIssuers, the parts that need no gateway: the bounded JWKS fetch (a huge or endless answer and a
// server that never answers are given up on within their bounds), Cache-Control parsing, the option checks, and the
// claim mapping (paths into the token, `scp` split on spaces, nothing walked through the prototype).
import t, { type Test } from 'tap'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fetchJson, maxAgeOf } from '../src/tokens/trusted-issuers/fetch-json.js'
import { normaliseTrustedIssuers } from '../src/tokens/trusted-issuers/options.js'
import { mapExternalClaims, readPath } from '../src/tokens/trusted-issuers/external-claims.js'
import { normaliseOptions } from '../src/options/normalise.js'

async function serve (t: Test, handler: (response: ServerResponse) => void): Promise<string> {
  const server: Server = createServer((_request, response) => { handler(response) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`
}

t.test('a JWKS larger than the bound is refused, declared or streamed without end', async (t) => {
  const declared = await serve(t, (response) => { response.writeHead(200, { 'content-length': String(1 << 20) }).write('{') })
  await t.rejects(fetchJson(declared, { maxBytes: 4096 }), /more than 4096 bytes/)
  let written = 0
  const endless = await serve(t, (response) => {
    response.writeHead(200)
    const pump = (): void => { while (written < 64 << 20 && response.write(' '.repeat(65536))) written += 65536 }
    response.on('drain', pump)
    pump()
  })
  await t.rejects(fetchJson(endless, { maxBytes: 100_000 }), /more than 100000 bytes/)
  t.ok(written < 16 << 20, `the reader stopped early (${written} bytes written by the server)`)
})

t.test('a JWKS server that never answers is given up on after the time bound', async (t) => {
  const silent = await serve(t, () => { /* never answers */ })
  const started = Date.now()
  await t.rejects(fetchJson(silent, { timeoutMs: 200 }))
  t.ok(Date.now() - started < 3000, 'gave up within the bound (not the default 5 s nor forever)')
  const trickle = await serve(t, (response) => { response.writeHead(200).write('{"keys":[') })
  await t.rejects(fetchJson(trickle, { timeoutMs: 200 }), 'a body that never ends is bounded in time too')
})

t.test('non-200, non-JSON and redirects are failures', async (t) => {
  await t.rejects(fetchJson(await serve(t, (response) => { response.writeHead(500).end() })), /answered 500/)
  await t.rejects(fetchJson(await serve(t, (response) => { response.writeHead(200).end('<html>') })), /JSON/)
  await t.rejects(fetchJson(await serve(t, (response) => { response.writeHead(302, { location: 'http://127.0.0.1:1/' }).end() })))
})

t.test('Cache-Control: max-age read; no-store and no-cache mean 0', async (t) => {
  t.equal(maxAgeOf('public, max-age=300'), 300)
  t.equal(maxAgeOf('max-age=60, no-cache'), 0)
  t.equal(maxAgeOf('no-store'), 0)
  t.equal(maxAgeOf('max-age=abc'), undefined)
  t.equal(maxAgeOf(null), undefined)
})

t.test('option checks name the path', async (t) => {
  const base = { issuer: 'https://idp.example', jwksUrl: 'https://idp.example/jwks', audience: 'api' }
  t.equal(normaliseTrustedIssuers([base], 'authgate')[0]?.algorithms.join(), 'RS256', 'RS256 by default')
  const refused: Array<[unknown, RegExp]> = [
    [{ ...base, algorithms: ['HS256'] }, /algorithms: HS256 is not accepted/],
    [{ ...base, algorithms: ['none'] }, /algorithms: none is not accepted/],
    [{ ...base, discovery: true }, /exactly one of jwksUrl and discovery/],
    [{ issuer: base.issuer, audience: 'api' }, /exactly one of jwksUrl and discovery/],
    [{ ...base, jwksUrl: 'http://idp.example/jwks' }, /jwksUrl must be https/],
    [{ ...base, audience: '' }, /audience must be a non-empty string/],
    [{ ...base, claims: { roles: 'a..b' } }, /claims\.roles must be a claim name/],
    [{ ...base, claims: { group: 'x' } }, /claims\.group is not an option/],
    [{ ...base, jwks: 'x' }, /\[0\]\.jwks is not an option/],
    [{ ...base, issuer: 'authgate' }, /tokens\.issuer \(our own\)/]
  ]
  for (const [input, message] of refused) t.throws(() => normaliseTrustedIssuers([input], 'authgate'), message, String(message))
  t.throws(() => normaliseTrustedIssuers([base, base], 'authgate'), /listed twice/)
  t.throws(() => normaliseOptions({ tokens: { keys: [], trustedIssuers: [{ ...base, algorithms: ['HS256'] }] } } as never), /tokens\.trustedIssuers\[0\]\.algorithms/, 'through the plugin options')
})

t.test('claims mapping: paths, scp split on spaces, own properties only', async (t) => {
  const [issuer] = normaliseTrustedIssuers([{ issuer: 'https://idp.example', jwksUrl: 'https://idp.example/jwks', audience: 'api', claims: { roles: 'realm_access.roles', sub: 'preferred_username' } }], 'authgate')
  if (issuer === undefined) throw new Error('no issuer')
  const now = Date.now()
  const base = { iss: 'https://idp.example', aud: 'api', exp: Math.floor(now / 1000) + 60, iat: Math.floor(now / 1000) }
  const claims = mapExternalClaims({ ...base, preferred_username: 'alice', realm_access: { roles: ['a', 'b'] }, email: 'a@x.example' }, issuer, now, 0)
  t.same({ sub: claims?.sub, roles: claims?.roles, sid: claims?.sid, email: claims?.email }, { sub: 'alice', roles: ['a', 'b'], sid: '', email: 'a@x.example' })
  const [scp] = normaliseTrustedIssuers([{ issuer: 'https://idp.example', jwksUrl: 'https://idp.example/jwks', audience: 'api', claims: { roles: 'scp' } }], 'authgate')
  if (scp === undefined) throw new Error('no issuer')
  t.same(mapExternalClaims({ ...base, sub: 's', scp: 'read  write' }, scp, now, 0)?.roles, ['read', 'write'])
  t.equal(mapExternalClaims({ ...base, sub: 's', scp: 'read,write' }, scp, now, 0), undefined, 'a role with a comma refuses the token')
  t.equal(readPath(JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>, ['constructor']), undefined)
  t.equal(readPath({ a: { b: 1 } }, ['a', 'toString']), undefined)
  t.equal(mapExternalClaims({ ...base, preferred_username: 'alice', iss: 'https://idp.example/' }, issuer, now, 0), undefined, 'iss exact')
  t.equal(mapExternalClaims({ ...base, sub: 'x' }, issuer, now, 0), undefined, 'the mapped sub claim is required')
})
