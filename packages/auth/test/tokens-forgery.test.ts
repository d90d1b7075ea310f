// docs/security.md A.2–A.10 at the token level: unsigned, stripped, broken, tampered, algorithm-confused and
// embedded-key tokens are all 401 AUTH_TOKEN_INVALID.
import t from 'tap'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { ACCESS_ALGORITHMS } from '../src/tokens/index.js'
import { b64, codeOf, forge, goodClaims, hmacSigner, keySigner, service, signedWith, testKey } from './helpers/keys.js'

const INVALID = 'AUTH_TOKEN_INVALID'

t.test('A.2/A.3 alg none in every spelling, empty or kept signature, stripped signature', async (t) => {
  for (const algorithm of ACCESS_ALGORITHMS) {
    const key = testKey(algorithm)
    const tokens = service(algorithm)
    const valid = tokens.sign({ sub: 'u1', sid: 's1', roles: [] }).token
    t.equal(codeOf(tokens.verify(valid)), 'OK')
    const [h, p, s] = valid.split('.') as [string, string, string]
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      for (const kid of [key.kid, undefined]) {
        const header = b64({ alg, typ: 'at+jwt', kid })
        t.equal(codeOf(tokens.verify(`${header}.${p}.`)), INVALID, `${algorithm}: alg ${alg}, empty signature`)
        t.equal(codeOf(tokens.verify(`${header}.${p}.${s}`)), INVALID, `${algorithm}: alg ${alg}, original signature kept`)
      }
    }
    t.equal(codeOf(tokens.verify(`${h}.${p}.`)), INVALID, `${algorithm}: signature stripped (h.p.)`)
    t.equal(codeOf(tokens.verify(`${h}.${p}`)), INVALID, `${algorithm}: two segments (h.p)`)
  }
})

t.test('A.4 broken signatures, including malformed ES256 signatures (a 500 in @fastify/jwt)', async (t) => {
  for (const algorithm of ACCESS_ALGORITHMS) {
    const tokens = service(algorithm)
    const valid = tokens.sign({ sub: 'u1', sid: 's1', roles: [] }).token
    const [h, p, s] = valid.split('.') as [string, string, string]
    t.equal(codeOf(tokens.verify(valid.slice(0, -4))), INVALID, `${algorithm}: last 4 chars cut`)
    const bytes = Buffer.from(s, 'base64url')
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01
    t.equal(codeOf(tokens.verify(`${h}.${p}.${bytes.toString('base64url')}`)), INVALID, `${algorithm}: one bit flipped`)
    t.equal(codeOf(tokens.verify(`${h}.${p}.${s}${s}`)), INVALID, `${algorithm}: doubled signature`)
    t.equal(codeOf(tokens.verify(`${h}.${p}.AA`)), INVALID, `${algorithm}: one-byte signature`)
  }
  const es = service('ES256')
  const [h, p] = es.sign({ sub: 'u1', sid: 's1', roles: [] }).token.split('.') as [string, string]
  const der = keySigner('RS256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  for (const [label, signature] of [
    ['65 bytes', Buffer.alloc(65, 7).toString('base64url')],
    ['63 bytes', Buffer.alloc(63, 7).toString('base64url')],
    ['all zero', Buffer.alloc(64).toString('base64url')],
    ['DER instead of P1363', der(`${h}.${p}`)],
    ['huge', Buffer.alloc(3000, 1).toString('base64url')]
  ] as const) {
    t.equal(codeOf(es.verify(`${h}.${p}.${signature}`)), INVALID, `ES256 malformed signature: ${label}`)
  }
})

t.test('A.5 payload changed under the original signature; markers never reach the error', async (t) => {
  for (const algorithm of ACCESS_ALGORITHMS) {
    const tokens = service(algorithm)
    const [h, , s] = tokens.sign({ sub: 'u1', sid: 's1', roles: ['user'] }).token.split('.') as [string, string, string]
    for (const change of [{ sub: 'victim' }, { roles: ['admin'] }, { sub: 'MARKER-7f3a', marker: 'MARKER-7f3a' }]) {
      const outcome = tokens.verify(`${h}.${b64(goodClaims(change))}.${s}`)
      t.equal(codeOf(outcome), INVALID, `${algorithm}: ${JSON.stringify(change)}`)
      if (!outcome.ok) {
        t.notMatch(JSON.stringify(outcome.error.toJSON()) + outcome.error.message, /MARKER|victim/)
      }
    }
  }
})

t.test('A.6 algorithm confusion: HS256 keyed with the public key in every form', async (t) => {
  for (const algorithm of ['EdDSA', 'ES256', 'RS256'] as const) {
    const key = testKey(algorithm)
    const tokens = service(algorithm)
    const pem = key.publicKey as string
    const publicKey = createPublicKey(pem)
    const forms: Array<[string, string | Buffer]> = [
      ['PEM', pem], ['\\n+PEM', `\n${pem}`], ['space+PEM', ` ${pem}`], ['tab+PEM', `\t${pem}`], ['#+PEM', `#${pem}`],
      ['zero-width+PEM', `\u200b${pem}`], ['PEM without trailing newline', pem.trim()],
      ['DER', publicKey.export({ type: 'spki', format: 'der' })],
      ['JWK', JSON.stringify(publicKey.export({ format: 'jwk' }))]
    ]
    for (const [label, secret] of forms) {
      for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
        const bits = Number(alg.slice(2)) as 256 | 384 | 512
        for (const kid of [key.kid, undefined]) {
          const token = forge({ alg, typ: 'at+jwt', kid }, goodClaims(), hmacSigner(secret, bits))
          t.equal(codeOf(tokens.verify(token)), INVALID, `${algorithm} issuer, ${alg} keyed with ${label}, kid ${String(kid)}`)
        }
      }
    }
  }
  const hs = service('HS256')
  for (const alg of ['RS256', 'ES256', 'EdDSA', 'PS256']) {
    const attacker = alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 })
    const token = forge({ alg, typ: 'at+jwt', kid: 'test-hs256' }, goodClaims(), keySigner(alg, attacker.privateKey))
    t.equal(codeOf(hs.verify(token)), INVALID, `HS256 issuer, ${alg} token signed with an attacker key`)
  }
})

t.test('A.7 the right key with an algorithm outside the exact allowlist', async (t) => {
  const hsKey = testKey('HS256')
  const hs = service('HS256')
  for (const bits of [384, 512] as const) {
    const token = forge({ alg: `HS${bits}`, typ: 'at+jwt', kid: hsKey.kid }, goodClaims(), hmacSigner(hsKey.secret as Buffer, bits))
    t.equal(codeOf(hs.verify(token)), INVALID, `HS${bits} with the HS256 secret`)
  }
  const hs512Key = testKey('HS512')
  const hs512 = service('HS512')
  const down = forge({ alg: 'HS256', typ: 'at+jwt', kid: hs512Key.kid }, goodClaims(), hmacSigner(hs512Key.secret as Buffer, 256))
  t.equal(codeOf(hs512.verify(down)), INVALID, 'HS256 with the HS512 secret')
  const rsKey = testKey('RS256')
  const rs = service('RS256')
  for (const alg of ['PS256', 'RS384', 'RS512', 'PS512']) {
    const token = forge({ alg, typ: 'at+jwt', kid: rsKey.kid }, goodClaims(), keySigner(alg, rsKey.privateKey as string))
    t.equal(codeOf(rs.verify(token)), INVALID, `${alg} with the RS256 key`)
  }
  t.equal(codeOf(rs.verify(signedWith(rsKey))), 'OK', 'control: RS256 with the RS256 key')
})

t.test('A.8/A.9 empty and weak HMAC secrets', async (t) => {
  const hs = service('HS256')
  const common = ['', ' ', 'secret', 'password', '123456', 'changeme', 'jwt', 'key', 'admin', 'test', 'your-256-bit-secret',
    'secretkey', 'supersecret', 'default', 'qwerty', 'null', 'undefined', 'HS256', 'test-hs256', 'authgate']
  for (const secret of common) {
    const token = forge({ alg: 'HS256', typ: 'at+jwt', kid: 'test-hs256' }, goodClaims(), hmacSigner(secret))
    t.equal(codeOf(hs.verify(token)), INVALID, `signed with ${JSON.stringify(secret)}`)
  }
})

t.test('A.10 embedded keys: jwk and x5c in the header are never used', async (t) => {
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = attacker.publicKey.export({ format: 'jwk' })
  const x5c = [attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')]
  const rs = service('RS256')
  for (const extra of [{ jwk }, { x5c }, { jwk, x5c }]) {
    for (const kid of ['test-rs256', undefined]) {
      const token = forge({ alg: 'RS256', typ: 'at+jwt', kid, ...extra }, goodClaims(), keySigner('RS256', attacker.privateKey))
      t.equal(codeOf(rs.verify(token)), INVALID, `${Object.keys(extra).join('+')}, kid ${String(kid)}`)
    }
  }
  const ed = generateKeyPairSync('ed25519')
  const token = forge({ alg: 'EdDSA', typ: 'at+jwt', kid: 'test-eddsa', jwk: ed.publicKey.export({ format: 'jwk' }) }, goodClaims(), keySigner('EdDSA', ed.privateKey))
  t.equal(codeOf(service('EdDSA').verify(token)), INVALID, 'EdDSA with an embedded jwk')
})
