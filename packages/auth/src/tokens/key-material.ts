// Turns one configured key (KeyInput) into checked key material, or throws an Error naming the option.
// Every check here runs once at start-up so that verification never has to guess what a key is: the algorithm of
// a key is fixed by configuration, never by the token or by sniffing the key bytes.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { ACCESS_ALGORITHMS, type AccessAlgorithm, type KeyInput } from './types.js'

export interface KeyEntry {
  kid: string
  algorithm: AccessAlgorithm
  /** What fast-jwt verifies with: SPKI PEM for asymmetric keys, the raw secret bytes for HMAC. */
  verifyKey: string | Buffer
  /** What fast-jwt signs with: PKCS#8 PEM or the HMAC secret; undefined for verification-only keys. */
  signKey: string | Buffer | undefined
  /** Asymmetric keys only: published in the JWKS. HMAC secrets never leave the process. */
  publicKey: KeyObject | undefined
}

/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
const MIN_SECRET_BYTES: Partial<Record<AccessAlgorithm, number>> = { HS256: 32, HS512: 64 }
const MIN_RSA_BITS = 2048
// Printable ASCII without spaces: a kid travels in headers, logs and file names.
const KID_PATTERN = /^[\x21-\x7e]{1,128}$/

export function isHmac (algorithm: AccessAlgorithm): boolean {
  return algorithm === 'HS256' || algorithm === 'HS512'
}

export function checkAlgorithm (value: unknown, path: string): AccessAlgorithm {
  if (typeof value !== 'string' || !(ACCESS_ALGORITHMS as readonly string[]).includes(value)) {
    throw new Error(`${path} must be one of ${ACCESS_ALGORITHMS.join(', ')}`)
  }
  return value as AccessAlgorithm
}

export function checkKid (value: unknown, path: string): string {
  if (typeof value !== 'string' || !KID_PATTERN.test(value)) {
    throw new Error(`${path} must be 1 to 128 printable ASCII characters without spaces`)
  }
  return value
}

export function readKeyInput (input: KeyInput, path: string): KeyEntry {
  // Configuration may come from YAML/JSON, whatever the static type says.
  if (typeof input !== 'object' || (input as KeyInput | null) === null) throw new Error(`${path} must be an object`)
  const kid = checkKid(input.kid, `${path}.kid`)
  const algorithm = checkAlgorithm(input.algorithm, `${path}.algorithm`)
  return isHmac(algorithm) ? readSecret(input, kid, algorithm, path) : readKeyPair(input, kid, algorithm, path)
}

function readSecret (input: KeyInput, kid: string, algorithm: AccessAlgorithm, path: string): KeyEntry {
  if (input.privateKey !== undefined || input.publicKey !== undefined) {
    throw new Error(`${path} uses ${algorithm}: give a secret, not privateKey/publicKey`)
  }
  const { secret } = input
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw new Error(`${path}.secret must be a string or a Buffer for ${algorithm}`)
  }
  // Copy: the caller's Buffer must not be able to change the key after the checks.
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret)
  const minBytes = MIN_SECRET_BYTES[algorithm] ?? 32
  if (bytes.length < minBytes) throw new Error(`${path}.secret must be at least ${minBytes} bytes for ${algorithm}`)
  const text = bytes.toString('latin1')
  // A public key used as an HMAC secret is the algorithm-confusion attack (CVE-2023-48223 and its lineage):
  // whoever can read the public key could mint tokens. Refuse anything that looks like key material.
  if (text.includes('-----BEGIN')) throw new Error(`${path}.secret must be a random secret, not a PEM key`)
  if (/^\s*[[{]/.test(text) && /"kty"/.test(text)) throw new Error(`${path}.secret must be a random secret, not a JWK`)
  if (bytes.every((byte) => byte === bytes[0])) throw new Error(`${path}.secret must be random, not one repeated character`)
  return { kid, algorithm, verifyKey: bytes, signKey: bytes, publicKey: undefined }
}

function readKeyPair (input: KeyInput, kid: string, algorithm: AccessAlgorithm, path: string): KeyEntry {
  if (input.secret !== undefined) throw new Error(`${path} uses ${algorithm}: give privateKey/publicKey, not a secret`)
  const privateKey = input.privateKey === undefined ? undefined : parsePrivate(input.privateKey, `${path}.privateKey`)
  let publicKey = input.publicKey === undefined ? undefined : parsePublic(input.publicKey, `${path}.publicKey`)
  if (privateKey === undefined && publicKey === undefined) {
    throw new Error(`${path} must have a privateKey or a publicKey`)
  }
  const derived = privateKey === undefined ? undefined : createPublicKey(privateKey)
  if (derived !== undefined && publicKey !== undefined && !spki(derived).equals(spki(publicKey))) {
    throw new Error(`${path}.publicKey does not match ${path}.privateKey`)
  }
  publicKey ??= derived
  if (publicKey === undefined) throw new Error(`${path} must have a privateKey or a publicKey`)
  checkKeyType(publicKey, algorithm, path)
  return {
    kid,
    algorithm,
    verifyKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signKey: privateKey?.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey
  }
}

function parsePrivate (value: string | KeyObject, path: string): KeyObject {
  if (typeof value !== 'string') {
    if (value.type !== 'private') throw new Error(`${path} must be a private key`)
    return value
  }
  try {
    return createPrivateKey(value)
  } catch (error) {
    throw new Error(`${path} is not a readable unencrypted private key (PEM)`, { cause: error })
  }
}

function parsePublic (value: string | KeyObject, path: string): KeyObject {
  if (typeof value !== 'string') {
    if (value.type === 'secret') throw new Error(`${path} must be a public key`)
    return value.type === 'public' ? value : createPublicKey(value)
  }
  try {
    return createPublicKey(value)
  } catch (error) {
    throw new Error(`${path} is not a readable public key (PEM)`, { cause: error })
  }
}

function spki (key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' })
}

function checkKeyType (key: KeyObject, algorithm: AccessAlgorithm, path: string): void {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  if (algorithm === 'EdDSA' && type !== 'ed25519') throw new Error(`${path} must be an Ed25519 key for EdDSA`)
  if (algorithm === 'ES256' && (type !== 'ec' || details.namedCurve !== 'prime256v1')) {
    throw new Error(`${path} must be a P-256 key for ES256`)
  }
  if (algorithm === 'RS256' && (type !== 'rsa' || (details.modulusLength ?? 0) < MIN_RSA_BITS)) {
    throw new Error(`${path} must be an RSA key of at least ${MIN_RSA_BITS} bits for RS256`)
  }
}
