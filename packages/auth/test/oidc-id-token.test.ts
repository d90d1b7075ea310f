// The ID token's signature and at_hash (oidc/id-token.ts), against a real JWKS served on loopback through the
// trusted-issuer key set: what a real provider never sends, forged here: a wrong key, `none`, HS256 keyed with
// the public key, an embedded key, an unknown kid, a mismatched at_hash.
import { createHash, createHmac, generateKeyPairSync, sign as cryptoSign } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { verifyIdTokenSignature } from '../src/oidc/id-token.js'
import { createIssuerKeys } from '../src/tokens/trusted-issuers/issuer-keys.js'

const good = generateKeyPairSync('rsa', { modulusLength: 2048 })
const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
const KID = 'idp-key-1'
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

function token (header: Record<string, unknown>, payload: Record<string, unknown>, key = good.privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key).toString('base64url')}`
}

t.test('ID-token signature, pinned algorithms and at_hash', async (t) => {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ keys: [{ ...good.publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256' }] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  const issuer = 'http://127.0.0.1/idp'
  const keys = createIssuerKeys({
    issuer, jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, discoveryUrl: undefined, audience: 'client-1',
    algorithms: ['RS256'], claims: { sub: ['sub'], roles: undefined, email: ['email'], name: ['name'] }, refreshMs: 600_000
  }, { clockToleranceMs: 0 })
  await keys.refresh()
  const now = Math.floor(Date.now() / 1000)
  const accessToken = 'access-token-value'
  const digest = createHash('sha256').update(accessToken).digest()
  const atHash = digest.subarray(0, 16).toString('base64url')
  const claims = { iss: issuer, aud: 'client-1', sub: 'alice', exp: now + 300, iat: now, nonce: 'n', at_hash: atHash }
  const options = { keys, algorithms: ['RS256'] as const, accessToken }
  const header = { alg: 'RS256', kid: KID, typ: 'JWT' }

  await t.resolves(verifyIdTokenSignature(token(header, claims), options), 'a genuine token passes')
  const refused = async (value: string, why: string): Promise<void> => {
    await t.rejects(verifyIdTokenSignature(value, options), { code: 'AUTH_OIDC_REJECTED', rejection: 'id-token-invalid' }, why)
  }
  await refused(token(header, claims, other.privateKey), 'signed by another key under the provider\'s kid')
  const [h, p] = token(header, claims).split('.') as [string, string]
  await refused(`${b64({ alg: 'none', kid: KID })}.${p}.`, 'alg none')
  const hsInput = `${b64({ alg: 'HS256', kid: KID })}.${p}`
  const publicPem = good.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  await refused(`${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`, 'HS256 keyed with the public key')
  await refused(token({ ...header, jwk: other.publicKey.export({ format: 'jwk' }) }, claims, other.privateKey), 'a key embedded in the header')
  await refused(token({ ...header, jku: 'http://127.0.0.1:1/evil' }, claims), 'jku in the header')
  await refused(token({ ...header, kid: 'unknown' }, claims), 'an unknown kid')
  await refused(token(header, { ...claims, at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' }), 'at_hash of another access token')
  await refused(token(header, { ...claims, aud: 'other-client' }), 'another audience')
  await refused(token(header, { ...claims, iss: 'http://127.0.0.1/other' }), 'another issuer')
  await refused(token(header, { ...claims, exp: now - 60 }), 'expired')
  await refused(`${h}.${p}x.${token(header, claims).split('.')[2] ?? ''}`, 'payload changed after signing')
  keys.stop()
})
