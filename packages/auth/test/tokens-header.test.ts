// docs/security.md A.11–A.13 and A.17–A.20 at the token level: key URLs, kid injection, crit/b64, typ confusion,
// size, encoding, and claims that must not leak or pollute.
import t from 'tap'
import { createServer, type Socket } from 'node:net'
import { generateKeyPairSync } from 'node:crypto'
import { b64, codeOf, forge, goodClaims, hmacSigner, incompleteService, keySigner, service, signedWith, signerFor, testKey } from './helpers/keys.js'

const INVALID = 'AUTH_TOKEN_INVALID'

t.test('A.11 jku/x5u pointing at a loopback listener: 401 and 0 connections', async (t) => {
  let connections = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => { connections++; sockets.add(socket); socket.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()) }))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const url = `http://127.0.0.1:${address.port}/jwks.json`
  const attacker = generateKeyPairSync('ed25519')
  const ed = service('EdDSA')
  const edKey = testKey('EdDSA')
  for (const extra of [{ jku: url }, { x5u: url }, { jku: url, x5u: url }]) {
    for (const kid of [edKey.kid, 'attacker', undefined]) {
      const forged = forge({ alg: 'EdDSA', typ: 'at+jwt', kid, ...extra }, goodClaims(), keySigner('EdDSA', attacker.privateKey))
      t.equal(codeOf(ed.verify(forged)), INVALID, `${Object.keys(extra).join('+')} with an attacker key, kid ${String(kid)}`)
    }
    // Even validly signed by us, the URL is never fetched.
    ed.verify(signedWith(edKey, goodClaims(), extra))
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(connections, 0, 'the listener saw no connection')
})

t.test('A.12 kid injection: selects only among configured keys, fast; 503 only for a header exactly like ours', async (t) => {
  const hs = service('HS256')
  // A static key set is complete, so every unknown kid is 401 there whatever its shape: each case also runs where the
  // key set may lack a key that signs, where only a header exactly like ours (and a live token) may be 503.
  const incomplete = incompleteService('HS256')
  const cases: Array<[string, unknown, string]> = [
    ['path traversal to /dev/null', '../../../../../../dev/null', ''],
    ['/dev/null', '/dev/null', ''],
    ['/invalid_path', '/invalid_path', ''],
    ['SQL injection', "x' UNION SELECT '1';--", '1'],
    ['command injection', '|sleep 10', ''],
    ['NoSQL operator string', '{"$ne":null}', ''],
    ['10 KB kid', 'k'.repeat(10_240), ''],
    ['number', 1, ''],
    ['null', null, ''],
    ['object', { $ne: null }, ''],
    ['array', ['test-hs256'], ''],
  ]
  for (const [label, kid, key] of cases) {
    const token = forge({ alg: 'HS256', typ: 'at+jwt', kid }, goodClaims(), hmacSigner(key))
    for (const [name, tokens] of [['complete', hs], ['incomplete', incomplete]] as const) {
      const started = process.hrtime.bigint()
      t.equal(codeOf(tokens.verify(token)), INVALID, `${label}, ${name} key set`)
      t.ok(process.hrtime.bigint() - started < 1_000_000_000n, `${label}: < 1 s`)
    }
  }
  for (const tokens of [hs, incomplete]) {
    t.equal(codeOf(tokens.verify(forge({ alg: 'HS256', typ: 'at+jwt' }, goodClaims(), signerFor(testKey('HS256'))))), INVALID, 'no kid at all')
  }
  // A header exactly like ours naming a kid a complete key set lacks: never ours, or dropped (401, the client
  // refreshes); never a lookup outside the configured keys (the key set is a Map). While the key set may lack a key
  // that signs, the same token is 503 (an outage, not a logout).
  const attacker = hmacSigner('x'.repeat(40))
  for (const kid of ['not-a-key', 'x'.repeat(40), '__proto__', 'constructor', 'TEST-HS256']) {
    const token = forge({ alg: 'HS256', typ: 'at+jwt', kid }, goodClaims(), attacker)
    t.equal(codeOf(hs.verify(token)), INVALID, `unknown kid ${kid.slice(0, 12)}, complete key set: 401`)
    t.equal(codeOf(incomplete.verify(token)), 'AUTH_KEYS_UNAVAILABLE', `unknown kid ${kid.slice(0, 12)}, incomplete key set: 503`)
  }
  // Anything but exactly our header, or a token that is not of our shape, stays 401 even then.
  const exact = forge({ alg: 'HS256', typ: 'at+jwt', kid: 'not-a-key' }, goodClaims(), attacker)
  const [header = '', payload = '', signature = ''] = exact.split('.')
  const { exp: _exp, ...noExp } = goodClaims()
  const variants: Array<[string, string]> = [
    ['an algorithm not configured (HS512)', forge({ alg: 'HS512', typ: 'at+jwt', kid: 'not-a-key' }, goodClaims(), hmacSigner('x'.repeat(40), 512))],
    ['another algorithm (none)', forge({ alg: 'none', typ: 'at+jwt', kid: 'not-a-key' }, goodClaims())],
    ['typ JWT', forge({ alg: 'HS256', typ: 'JWT', kid: 'not-a-key' }, goodClaims(), attacker)],
    ['typ AT+JWT (accepted on a known kid, not ours byte for byte)', forge({ alg: 'HS256', typ: 'AT+JWT', kid: 'not-a-key' }, goodClaims(), attacker)],
    ['no typ', forge({ alg: 'HS256', kid: 'not-a-key' }, goodClaims(), attacker)],
    ['an extra member (jku)', forge({ alg: 'HS256', typ: 'at+jwt', kid: 'not-a-key', jku: 'http://127.0.0.1:1/' }, goodClaims(), attacker)],
    ['an extra member (x)', forge({ alg: 'HS256', typ: 'at+jwt', kid: 'not-a-key', x: 1 }, goodClaims(), attacker)],
    ['members in another order', forge({ kid: 'not-a-key', alg: 'HS256', typ: 'at+jwt' }, goodClaims(), attacker)],
    ['a duplicate member', forge('{"alg":"HS256","typ":"at+jwt","kid":"not-a-key","kid":"not-a-key"}', goodClaims(), attacker)],
    ['whitespace in the header JSON', forge('{"alg":"HS256", "typ":"at+jwt","kid":"not-a-key"}', goodClaims(), attacker)],
    ['a kid with a space', forge({ alg: 'HS256', typ: 'at+jwt', kid: 'not a key' }, goodClaims(), attacker)],
    ['a kid of 129 characters', forge({ alg: 'HS256', typ: 'at+jwt', kid: 'k'.repeat(129) }, goodClaims(), attacker)],
    ['an empty kid', forge({ alg: 'HS256', typ: 'at+jwt', kid: '' }, goodClaims(), attacker)],
    ['no exp', forge({ alg: 'HS256', typ: 'at+jwt', kid: 'not-a-key' }, noExp, attacker)],
    ['exp a string', forge({ alg: 'HS256', typ: 'at+jwt', kid: 'not-a-key' }, goodClaims({ exp: String(goodClaims().exp) }), attacker)],
    ['a payload that is not an object', forge({ alg: 'HS256', typ: 'at+jwt', kid: 'not-a-key' }, '[1]', attacker)],
    ['a non-canonical signature (= padding)', `${header}.${payload}.${signature}=`],
    ['a signature that is not base64url (+)', `${header}.${payload}.${signature.slice(0, -1)}+`],
    ['no signature', `${header}.${payload}.`],
    ['a fourth segment', `${exact}.x`]
  ]
  for (const [label, token] of variants) {
    t.equal(codeOf(hs.verify(token)), INVALID, `unknown kid with ${label}, complete key set: 401`)
    t.equal(codeOf(incomplete.verify(token)), INVALID, `unknown kid with ${label}, incomplete key set: still 401`)
  }
})

t.test('A.13 crit and b64, validly signed, are refused', async (t) => {
  const key = testKey('EdDSA')
  const ed = service('EdDSA')
  for (const extra of [
    { crit: ['foo'], foo: 1 }, { crit: [] }, { crit: ['alg'] }, { crit: ['foo', 'foo'], foo: 1 }, { crit: 'foo', foo: 1 },
    { b64: false }, { b64: true }, { crit: ['b64'], b64: false }
  ]) {
    t.equal(codeOf(ed.verify(signedWith(key, goodClaims(), extra))), INVALID, JSON.stringify(extra))
  }
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims(), { extra: 1 }))), 'OK', 'control: an unknown non-critical member is ignored')
})

t.test('A.17 typ confusion: other JWTs signed with the same key', async (t) => {
  const key = testKey('HS256')
  const hs = service('HS256')
  for (const typ of ['JWT', 'jwt', 'refresh+jwt', 'authgate-assertion+jwt', '', 'at+jwt ', 'at+JWTX', null, 1]) {
    t.equal(codeOf(hs.verify(signedWith(key, goodClaims(), { typ }))), INVALID, `typ ${JSON.stringify(typ)}`)
  }
  const noTyp = forge({ alg: 'HS256', kid: key.kid }, goodClaims(), signerFor(key))
  t.equal(codeOf(hs.verify(noTyp)), INVALID, 'typ missing')
  t.equal(codeOf(hs.verify(signedWith(key, goodClaims({ token_use: 'refresh' }), { typ: 'JWT' }))), INVALID, 'token_use refresh')
  t.equal(codeOf(hs.verify(signedWith(key, goodClaims(), { typ: 'application/at+jwt' }))), 'OK', 'RFC 9068 media type form is accepted')
  t.equal(codeOf(hs.verify(signedWith(key, goodClaims(), { typ: 'AT+JWT' }))), 'OK', 'typ compares case-insensitively (RFC 7515 §4.1.9)')
})

t.test('A.18 size: tokens over 8 KiB are refused before any parsing, cheaply', async (t) => {
  const key = testKey('HS256')
  const hs = service('HS256')
  t.equal(codeOf(hs.verify(signedWith(key, goodClaims({ pad: 'x'.repeat(5000) })))), 'OK', 'a validly signed 7 KB token passes')
  t.equal(codeOf(hs.verify(signedWith(key, goodClaims({ pad: 'x'.repeat(7000) })))), INVALID, 'a validly signed 9 KB token does not')
  const huge = signedWith(key, goodClaims({ pad: 'x'.repeat(1_000_000) }))
  const nested = forge('['.repeat(5000) + ']'.repeat(5000), goodClaims(), signerFor(key))
  const started = process.hrtime.bigint()
  for (let i = 0; i < 1000; i++) {
    if (codeOf(hs.verify(huge)) !== INVALID) t.fail('1 MB token accepted')
    if (codeOf(hs.verify(nested)) !== INVALID) t.fail('nested header accepted')
    if (codeOf(hs.verify('a'.repeat(20_000))) !== INVALID) t.fail('20 KB junk accepted')
  }
  t.ok(process.hrtime.bigint() - started < 2_000_000_000n, '3000 oversized tokens refused in < 2 s')
  const shallow = forge('['.repeat(2000) + ']'.repeat(2000), goodClaims(), signerFor(key))
  t.equal(codeOf(hs.verify(shallow)), INVALID, 'nested arrays as header, under the size cap')
})

t.test('A.19 encoding: non-canonical base64url, segment counts, non-object JSON, invalid UTF-8', async (t) => {
  const key = testKey('HS256')
  const hs = service('HS256')
  const valid = signedWith(key)
  const [h, p, s] = valid.split('.') as [string, string, string]
  const cases: Array<[string, string]> = [
    ['+ in signature', `${h}.${p}.${s.replace(/[-_]/, '+')}x`],
    ['/ in payload', `${h}.${p.slice(0, -1)}/.${s}`],
    ['= padding on header', `${h}=.${p}.${s}`],
    ['= padding on signature', `${h}.${p}.${s}=`],
    ['space inside a segment', `${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`],
    ['newline inside a segment', `${h}.${p.slice(0, 5)}\n${p.slice(5)}.${s}`],
    ['non-ASCII', `${h}.${p}é.${s}`],
    ['4 segments', `${h}.${p}.${s}.${s}`],
    ['5 segments (JWE shape)', `${h}.${p}.${s}.${s}.${s}`],
    ['empty', ''],
    ['dots only', '..'],
    ['leading dot', `.${p}.${s}`]
  ]
  for (const [label, token] of cases) t.equal(codeOf(hs.verify(token)), INVALID, label)
  for (const header of ['null', '[]', '"at+jwt"', '1', 'true', '{', '']) {
    t.equal(codeOf(hs.verify(forge(header, goodClaims(), signerFor(key)))), INVALID, `header ${JSON.stringify(header)}`)
  }
  for (const payload of ['null', '[]', '"u1"', '1', '{']) {
    t.equal(codeOf(hs.verify(forge({ alg: 'HS256', typ: 'at+jwt', kid: key.kid }, payload, signerFor(key)))), INVALID, `payload ${payload}`)
  }
  const signer = signerFor(key)
  const badUtf8Header = Buffer.concat([Buffer.from('{"alg":"HS256","typ":"at+jwt","kid":"test-hs256","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]).toString('base64url')
  const withHeader = `${badUtf8Header}.${p}`
  t.equal(codeOf(hs.verify(`${withHeader}.${signer(withHeader)}`)), INVALID, 'invalid UTF-8 in the header, validly signed')
  const [before, after] = JSON.stringify(goodClaims({ sub: 'SUB' })).split('SUB') as [string, string]
  const badUtf8Payload = Buffer.concat([Buffer.from(before), Buffer.from([0x61, 0xff, 0xc3]), Buffer.from(after)])
  const withPayload = `${h}.${badUtf8Payload.toString('base64url')}`
  t.equal(codeOf(hs.verify(`${withPayload}.${signer(withPayload)}`)), INVALID, 'invalid UTF-8 in the payload, validly signed')
  t.equal(codeOf(hs.verify(`${h}.${p}.${s}`)), 'OK', 'control')
})

t.test('A.20 duplicate claims, __proto__ and constructor: last value wins, nothing else is copied', async (t) => {
  const key = testKey('EdDSA')
  const ed = service('EdDSA')
  const claims = goodClaims()
  const json = JSON.stringify(claims).slice(0, -1) + ',"sub":"b","__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"isAdmin":true}'
  const token = forge({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid }, json, signerFor(key))
  const outcome = ed.verify(token)
  t.equal(codeOf(outcome), 'OK')
  if (outcome.ok) {
    t.equal(outcome.claims.sub, 'b', 'the lexically last sub, as JSON.parse and every consumer see it')
    t.same(Object.keys(outcome.claims).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub'])
    t.equal(Object.getPrototypeOf(outcome.claims), Object.prototype)
    t.equal((outcome.claims as unknown as Record<string, unknown>).admin, undefined)
  }
  t.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched')
  t.equal(b64('x'), 'eA')
})
