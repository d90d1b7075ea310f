// Test keys, generated at run time (never committed), and a raw JWS builder for forging tokens: it signs whatever
// header and payload a test gives it, with whatever key and algorithm, bypassing every check authgate makes.
import { createHmac, createPrivateKey, sign as cryptoSign, constants, type KeyObject } from 'node:crypto'
import { createAccessTokenService } from '../../src/tokens/index.js'
import { generateKey } from '../../src/keys/index.js'
import { buildAccessTokenService } from '../../src/tokens/service.js'
import type { AccessAlgorithm, AccessTokenService, KeyInput, TokenOptions } from '../../src/tokens/index.js'

export const ISSUER = 'https://authgate.test'
export const AUDIENCE = 'upstream'
export const ACCESS_TTL = 900
export const TOLERANCE = 30

const cache = new Map<AccessAlgorithm, KeyInput>()

/** One key per algorithm per test process (RSA generation is slow), with a fixed kid. */
export function testKey (algorithm: AccessAlgorithm): KeyInput {
  let key = cache.get(algorithm)
  if (key === undefined) {
    key = generateKey(algorithm, `test-${algorithm.toLowerCase()}`)
    cache.set(algorithm, key)
  }
  return key
}

export function tokenOptions (algorithm: AccessAlgorithm, overrides: Partial<TokenOptions> = {}): TokenOptions {
  return {
    algorithm,
    keys: [testKey(algorithm)],
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTtl: ACCESS_TTL,
    clockTolerance: TOLERANCE,
    ...overrides
  }
}

export function service (algorithm: AccessAlgorithm, overrides: Partial<TokenOptions> = {}): AccessTokenService {
  return createAccessTokenService(tokenOptions(algorithm, overrides))
}

/**
 * A service whose key set is not known to be complete (a key ring whose reads stopped): there, and only there, a
 * header exactly like ours naming a kid it lacks is 503 AUTH_KEYS_UNAVAILABLE, so this is where the shape rule shows.
 */
export function incompleteService (algorithm: AccessAlgorithm, overrides: Partial<TokenOptions> = {}): AccessTokenService {
  return buildAccessTokenService(tokenOptions(algorithm, overrides), { keySetComplete: () => false })
}

export function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}

/** Claims a valid token would carry, issued now. */
export function goodClaims (overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds()
  return { sub: 'u1', sid: 's1', roles: ['user'], iat, exp: iat + 600, iss: ISSUER, aud: AUDIENCE, jti: 'j1', ...overrides }
}

export function b64 (value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return Buffer.from(text, 'utf8').toString('base64url')
}

export type RawSigner = (input: string) => string

export function hmacSigner (secret: string | Buffer, bits: 256 | 384 | 512 = 256): RawSigner {
  return (input) => createHmac(`sha${bits}`, secret).update(input).digest('base64url')
}

/** RS, PS, ES and EdDSA signatures over `input` with a private key, in the JWS encoding. */
export function keySigner (algorithm: string, privateKey: string | KeyObject): RawSigner {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey
  return (input) => {
    const data = Buffer.from(input, 'utf8')
    const hash = `sha${algorithm.slice(2)}`
    if (algorithm === 'EdDSA') return cryptoSign(null, data, key).toString('base64url')
    if (algorithm.startsWith('ES')) return cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
    if (algorithm.startsWith('PS')) {
      return cryptoSign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }).toString('base64url')
    }
    return cryptoSign(hash, data, key).toString('base64url')
  }
}

/** The signer matching a configured test key (its own algorithm, its own key). */
export function signerFor (key: KeyInput, algorithm: string = key.algorithm): RawSigner {
  if (key.secret !== undefined) return hmacSigner(key.secret, algorithm === 'HS512' ? 512 : algorithm === 'HS384' ? 384 : 256)
  if (key.privateKey === undefined) throw new Error('test key has no private part')
  return keySigner(algorithm, key.privateKey)
}

/** header.payload.signature from raw parts; objects are JSON-encoded, strings used as they are. */
export function forge (header: unknown, payload: unknown, signer?: RawSigner): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${signer === undefined ? '' : signer(input)}`
}

/** A token for `key` with the canonical header and the given claims, validly signed. */
export function signedWith (key: KeyInput, claims: Record<string, unknown> = goodClaims(), header: Record<string, unknown> = {}): string {
  return forge({ alg: key.algorithm, typ: 'at+jwt', kid: key.kid, ...header }, claims, signerFor(key))
}

/** 'OK' or the AuthError code of a verify/authenticate outcome: one string to assert on. */
export function codeOf (outcome: { ok: true } | { ok: false, error: { code: string } }): string {
  return outcome.ok ? 'OK' : outcome.error.code
}

/**
 * Waits for the start of a new second, so that boundary tests at one-second granularity (`exp = now - tolerance
 * + 1`) have most of a second of margin instead of whatever was left of the current one.
 */
export async function freshSecond (): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5))
}
