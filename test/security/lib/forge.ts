// Hand-built JWS for the token attacks (docs/security.md A): header and payload are written as given (objects are
// JSON-encoded, strings and bytes are used as they are, so duplicate keys, invalid UTF-8 or non-objects survive),
// base64url-encoded and signed with node:crypto. Nothing here goes through authgate's own signer, so every check
// the gateway makes is one a forged token must get past on its own.
import { constants, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto'
import type { KeyInput } from '@authgate/fastify/tokens'
import { AUDIENCE, ISSUER } from './target.js'

/** Signs `header.payload` (the JWS signing input) and returns the base64url signature segment. */
export type Signer = (input: string) => string

/** One JWS segment: objects JSON-encoded, strings and bytes taken literally. */
export function segment (value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('base64url')
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return Buffer.from(text, 'utf8').toString('base64url')
}

/** `header.payload.signature`; without a signer the signature segment is empty (`h.p.`). */
export function forge (header: unknown, payload: unknown, signer?: Signer): string {
  const input = `${segment(header)}.${segment(payload)}`
  return `${input}.${signer === undefined ? '' : signer(input)}`
}

export function hmac (secret: string | Buffer, bits: 256 | 384 | 512 = 256): Signer {
  return (input) => createHmac(`sha${bits}`, secret).update(input).digest('base64url')
}

/** EdDSA, ES*, PS* and RS* signatures in their JWS encodings (ECDSA as raw r‖s, not DER). */
export function signWith (algorithm: string, privateKey: string | KeyObject): Signer {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey
  const hash = `sha${algorithm.slice(2)}`
  return (input) => {
    const data = Buffer.from(input, 'utf8')
    if (algorithm === 'EdDSA') return cryptoSign(null, data, key).toString('base64url')
    if (algorithm.startsWith('ES')) return cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
    if (algorithm.startsWith('PS')) {
      return cryptoSign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }).toString('base64url')
    }
    return cryptoSign(hash, data, key).toString('base64url')
  }
}

/** The gateway's own signing key as a Signer, optionally under another `alg` (HS384 with an HS256 secret…). */
export function signerOf (key: KeyInput, algorithm: string = key.algorithm): Signer {
  if (key.secret !== undefined) return hmac(key.secret, algorithm.endsWith('512') ? 512 : algorithm.endsWith('384') ? 384 : 256)
  if (key.privateKey === undefined) throw new Error('forge: the key has no private part')
  return signWith(algorithm, key.privateKey)
}

export function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}

/** The claims of a valid access token for the target's issuer and audience; an override of `undefined` drops one. */
export function claims (overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds()
  return { sub: 'forged-user', sid: `forged-${iat}`, roles: ['user'], iat, exp: iat + 600, iss: ISSUER, aud: AUDIENCE, jti: `jti-${iat}`, ...overrides }
}

/** The header authgate itself writes for `key`, with members added, replaced, or (as `undefined`) dropped. */
export function headerFor (key: KeyInput, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: key.algorithm, typ: 'at+jwt', kid: key.kid, ...extra }
}

/** A token the gateway's key really signed, with whatever claims and header members the attack needs. */
export function signed (key: KeyInput, payload: unknown = claims(), extra: Record<string, unknown> = {}): string {
  return forge(headerFor(key, extra), payload, signerOf(key))
}

export type AttackerAlgorithm = 'EdDSA' | 'ES256' | 'RS256'

const attackerKeys = new Map<AttackerAlgorithm, { privateKey: KeyObject, publicKey: KeyObject }>()

/** A key pair the attacker owns (one per algorithm per process: RSA generation is slow). */
export function attackerKey (algorithm: AttackerAlgorithm): { privateKey: KeyObject, publicKey: KeyObject } {
  let pair = attackerKeys.get(algorithm)
  if (pair === undefined) {
    pair = algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 })
    attackerKeys.set(algorithm, pair)
  }
  return pair
}

/** The public half of a PEM key in the forms an HMAC-confusion attacker might key with (CVE-2023-48223 class). */
export function publicKeyForms (publicPem: string): Array<[string, string | Buffer]> {
  const key = createPublicKey(publicPem)
  return [
    ['PEM', publicPem], ['\\n+PEM', `\n${publicPem}`], ['space+PEM', ` ${publicPem}`], ['tab+PEM', `\t${publicPem}`],
    ['#+PEM', `#${publicPem}`], ['zero-width+PEM', `\u200b${publicPem}`], ['PEM trimmed', publicPem.trim()],
    ['PEM CRLF', publicPem.replace(/\n/g, '\r\n')], ['DER', key.export({ type: 'spki', format: 'der' })],
    ['JWK', JSON.stringify(key.export({ format: 'jwk' }))]
  ]
}

// DER, just enough for one self-signed certificate (x5c attacks need a real certificate, not a bare key).
function der (tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  const length = body.length < 0x80
    ? Buffer.from([body.length])
    : body.length < 0x100 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff])
  return Buffer.concat([Buffer.from([tag]), length, body])
}

const ED25519_ALGORITHM = der(0x30, der(0x06, Buffer.from([0x2b, 0x65, 0x70])))

function name (commonName: string): Buffer {
  // Name ::= SEQUENCE OF SET OF { id-at-commonName, UTF8String }
  return der(0x30, der(0x31, der(0x30, der(0x06, Buffer.from([0x55, 0x04, 0x03])), der(0x0c, Buffer.from(commonName, 'utf8')))))
}

/** A self-signed X.509 v3 certificate (DER) for an attacker Ed25519 key, valid now, as `x5c` would carry it. */
export function selfSignedCertificate (pair: { privateKey: KeyObject, publicKey: KeyObject }, commonName = 'attacker'): Buffer {
  const time = (date: Date): Buffer => der(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'ascii'))
  const now = Date.now()
  const tbs = der(0x30,
    der(0xa0, der(0x02, Buffer.from([0x02]))),
    der(0x02, Buffer.from([0x01, 0x23, 0x45, 0x67])),
    ED25519_ALGORITHM,
    name(commonName),
    der(0x30, time(new Date(now - 86_400_000)), time(new Date(now + 86_400_000))),
    name(commonName),
    pair.publicKey.export({ type: 'spki', format: 'der' }))
  const signature = cryptoSign(null, tbs, pair.privateKey)
  return der(0x30, tbs, ED25519_ALGORITHM, der(0x03, Buffer.from([0x00]), signature))
}
