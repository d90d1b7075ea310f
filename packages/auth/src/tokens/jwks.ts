// Public JWKs (RFC 7517) of the asymmetric keys, and RFC 7638 thumbprints used as default key ids.
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import type { KeyEntry } from './key-material.js'
import type { PublicJwk } from './types.js'

/** The public members of a JWK, by key type: exactly the ones RFC 7638 hashes, in lexicographic order. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'kty', 'x'],
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n']
}

function publicMembers (key: KeyObject): Record<string, string> {
  const publicKey = key.type === 'public' ? key : createPublicKey(key)
  const jwk: JsonWebKey = publicKey.export({ format: 'jwk' })
  const names = typeof jwk.kty === 'string' ? PUBLIC_MEMBERS[jwk.kty] : undefined
  if (names === undefined) throw new Error(`unsupported key type ${String(jwk.kty)}`)
  // Copy only the named public members: a private JWK's `d`, `p`, `q`… can never slip through.
  const members: Record<string, string> = {}
  for (const name of names) {
    const value: unknown = jwk[name]
    if (typeof value !== 'string') throw new Error(`key has no ${name}`)
    members[name] = value
  }
  return members
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an asymmetric key, given as PEM or KeyObject, public or private. */
export function keyIdFor (key: string | KeyObject): string {
  const keyObject = typeof key === 'string' ? createPublicKey(key) : key
  if (keyObject.type === 'secret') throw new Error('keyIdFor: HMAC secrets have no public thumbprint; give a random kid')
  // JSON.stringify keeps insertion order, which publicMembers made lexicographic, with no whitespace: the RFC form.
  return createHash('sha256').update(JSON.stringify(publicMembers(keyObject))).digest('base64url')
}

export function toPublicJwk (entry: KeyEntry): PublicJwk | undefined {
  if (entry.publicKey === undefined) return undefined
  return { ...publicMembers(entry.publicKey), kid: entry.kid, alg: entry.algorithm, use: 'sig' } as PublicJwk
}
