// Start-up validation (docs/security.md E.54): an unsafe or inconsistent key set refuses to start, with an Error
// naming the option.
import t, { type Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { createAccessTokenService } from '../src/tokens/index.js'
import { generateKey } from '../src/keys/index.js'
import type { KeyInput, TokenOptions } from '../src/tokens/index.js'
import { isAuthError } from '../src/errors.js'
import { testKey, tokenOptions } from './helpers/keys.js'

function refuses (t: Test, options: TokenOptions, message: RegExp, what: string): void {
  t.throws(() => createAccessTokenService(options), message, what)
}

t.test('HMAC secrets: empty, short, weak, PEM or JWK are refused', async (t) => {
  const hs = (secret: string | Buffer, algorithm: 'HS256' | 'HS512' = 'HS256'): TokenOptions =>
    tokenOptions(algorithm, { keys: [{ kid: 'k', algorithm, secret }] })
  refuses(t, hs(''), /tokens\.keys\[0\]\.secret must be at least 32 bytes/, 'empty secret')
  refuses(t, hs('secret'), /tokens\.keys\[0\]\.secret must be at least 32 bytes/, 'jwt-common "secret"')
  refuses(t, hs('your-256-bit-secret'), /at least 32 bytes/, 'jwt.io default secret')
  refuses(t, hs('a'.repeat(31)), /at least 32 bytes/, '31 bytes')
  refuses(t, hs('a'.repeat(40)), /not one repeated character/, 'one repeated character')
  refuses(t, hs(Buffer.alloc(32)), /not one repeated character/, '32 zero bytes')
  refuses(t, hs('x'.repeat(20) + 'y'.repeat(20), 'HS512'), /at least 64 bytes for HS512/, 'HS512 below 64 bytes')
  refuses(t, hs(testKey('EdDSA').publicKey as string), /not a PEM key/, 'a public PEM as secret (algorithm confusion)')
  refuses(t, hs('\n ' + (testKey('RS256').publicKey as string)), /not a PEM key/, 'a prefixed PEM as secret')
  const jwk = JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }))
  refuses(t, hs(jwk.padEnd(40, ' ')), /not a JWK/, 'a JWK as secret')
  refuses(t, tokenOptions('HS256', { keys: [{ kid: 'k', algorithm: 'HS256', secret: 'z'.repeat(20) + 'q'.repeat(20), publicKey: 'x' }] }), /give a secret, not privateKey/, 'HMAC key with a publicKey')
  t.doesNotThrow(() => createAccessTokenService(hs('correct horse battery staple 0123456789')))
})

t.test('asymmetric keys: type, curve, size and pair must fit the algorithm', async (t) => {
  const ed = testKey('EdDSA')
  const key = (input: Partial<KeyInput>, algorithm: KeyInput['algorithm'] = 'EdDSA'): TokenOptions =>
    tokenOptions(algorithm, { keys: [{ kid: 'k', algorithm, ...input }] })
  refuses(t, key({ privateKey: testKey('ES256').privateKey }), /tokens\.keys\[0\] must be an Ed25519 key for EdDSA/, 'P-256 key for EdDSA')
  refuses(t, key({ privateKey: ed.privateKey }, 'ES256'), /must be a P-256 key for ES256/, 'Ed25519 key for ES256')
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  refuses(t, key({ privateKey: p384.privateKey }, 'ES256'), /must be a P-256 key/, 'P-384 key for ES256')
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
  refuses(t, key({ privateKey: rsa1024.privateKey }, 'RS256'), /at least 2048 bits/, 'RSA-1024')
  refuses(t, key({ privateKey: ed.privateKey, publicKey: generateKey('EdDSA').publicKey }), /publicKey does not match/, 'mismatched pair')
  refuses(t, key({}), /must have a privateKey or a publicKey/, 'no key at all')
  refuses(t, key({ privateKey: 'not a pem' }), /privateKey is not a readable/, 'garbage PEM')
  refuses(t, key({ privateKey: ed.publicKey }), /privateKey is not a readable/, 'a public key as private key')
  refuses(t, key({ privateKey: ed.privateKey, secret: 'x'.repeat(40) }), /not a secret/, 'asymmetric key with a secret')
  refuses(t, tokenOptions('EdDSA', { keys: [{ kid: 'k', algorithm: 'EdDSA', publicKey: ed.publicKey }] }),
    /must hold a EdDSA signing key/, 'no key with a private part')
  refuses(t, tokenOptions('EdDSA', { keys: [ed], signingKid: 'nope' }), /signingKid names no key/, 'unknown signingKid')
  refuses(t, tokenOptions('EdDSA', { keys: [ed, testKey('HS256')], signingKid: 'test-hs256' }), /names a HS256 key but tokens\.algorithm is EdDSA/, 'signingKid of another algorithm')
  refuses(t, tokenOptions('EdDSA', { keys: [ed, ed] }), /kid "test-eddsa" is used twice/, 'duplicate kid')
  refuses(t, tokenOptions('EdDSA', { keys: [{ ...ed, kid: 'a b' }] }), /kid must be 1 to 128 printable/, 'kid with a space')
  refuses(t, tokenOptions('EdDSA', { keys: [{ ...ed, algorithm: 'none' as never }] }), /algorithm must be one of/, 'alg none')
  refuses(t, { ...tokenOptions('EdDSA'), algorithm: 'PS256' as never }, /tokens\.algorithm must be one of/, 'unsupported algorithm')
  refuses(t, tokenOptions('EdDSA', { keys: [null as never] }), /tokens\.keys\[0\] must be an object/, 'a null key')
  t.throws(() => createAccessTokenService(null as never), /tokens must be an object/, 'null options')
})

t.test('clockTolerance, TTLs, issuer and audience', async (t) => {
  for (const clockTolerance of [Infinity, Number.NaN, -1, 301, '30' as unknown as number]) {
    refuses(t, tokenOptions('EdDSA', { clockTolerance }), /tokens\.clockTolerance must be a finite number of seconds between 0 and 300/, `clockTolerance ${String(clockTolerance)}`)
  }
  refuses(t, tokenOptions('EdDSA', { accessTtl: 0 }), /tokens\.accessTtl must be a whole number/, 'accessTtl 0')
  refuses(t, tokenOptions('EdDSA', { accessTtl: Infinity }), /tokens\.accessTtl/, 'accessTtl Infinity')
  refuses(t, tokenOptions('EdDSA', { maxTtl: 10 }), /tokens\.maxTtl must be at least tokens\.accessTtl/, 'maxTtl below accessTtl')
  refuses(t, tokenOptions('EdDSA', { issuer: '' }), /tokens\.issuer must be a non-empty string/, 'empty issuer')
  refuses(t, tokenOptions('EdDSA', { audience: /up/ as never }), /tokens\.audience must be a non-empty string/, 'RegExp audience')
})

t.test('an empty key set: verify answers 503 AUTH_KEYS_UNAVAILABLE, sign throws it', async (t) => {
  const tokens = createAccessTokenService(tokenOptions('EdDSA', { keys: [] }))
  const valid = createAccessTokenService(tokenOptions('EdDSA')).sign({ sub: 'u', sid: 's', roles: [] }).token
  const outcome = tokens.verify(valid)
  t.equal(outcome.ok, false)
  if (!outcome.ok) {
    t.equal(outcome.error.code, 'AUTH_KEYS_UNAVAILABLE')
    t.equal(outcome.error.statusCode, 503)
    t.ok(outcome.error.headers()['retry-after'])
  }
  const error: unknown = (() => { try { tokens.sign({ sub: 'u', sid: 's', roles: [] }) } catch (e) { return e } })()
  t.ok(isAuthError(error) && error.code === 'AUTH_KEYS_UNAVAILABLE')
  t.same(tokens.jwks(), { keys: [] })
})
