// Private keys of the key ring are encrypted at rest (AES-256-GCM) under a key-encryption key (KEK) that lives only
// in the environment of the gateway and of the CLI (`tokens.keyEncryptionKey: ${AUTHGATE_KEY_ENCRYPTION_KEY}`): a
// copy of the database alone (a backup, a read-only leak) cannot mint tokens. The KEK is never stored, logged nor
// printed: the wrapper below has no public member that returns it and serialises as "[redacted]".
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import type { SealedKey } from './key-ring-store.js'

export const MIN_KEK_BYTES = 32
const IV_BYTES = 12
const HEX = /^(?:[0-9a-fA-F]{2})+$/
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/

export class KeyEncryptionKey {
  /** The AES-256 key derived from the KEK (never the KEK itself, so the KEK is not kept in memory as such). */
  readonly #key: Buffer

  constructor (kek: Buffer) {
    // HKDF: the operator's KEK may be longer than 32 bytes or not uniformly random (a long passphrase-like base64);
    // the label binds the derived key to this one use.
    this.#key = Buffer.from(hkdfSync('sha256', kek, 'authgate', 'authgate key ring v1 aes-256-gcm', 32))
  }

  /** Encrypts `plaintext`; `label` (kid and algorithm) is authenticated, so a record cannot borrow another's ciphertext. */
  seal (plaintext: Buffer, label: string): SealedKey {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(label, 'utf8'))
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()])
    return { v: 1, iv: iv.toString('base64url'), tag: cipher.getAuthTag().toString('base64url'), data: data.toString('base64url') }
  }

  /** Decrypts, or throws when the KEK is not the one that sealed it or the record was altered. */
  open (sealed: SealedKey, label: string): Buffer {
    // Records come from the database, whatever the static type says.
    if ((sealed.v as number) !== 1) throw new Error(`sealed key version ${String(sealed.v)} is not supported`)
    try {
      // authTagLength: without it Node accepts a truncated tag, and a shorter tag is easier to forge.
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64url'), { authTagLength: 16 })
      decipher.setAAD(Buffer.from(label, 'utf8'))
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()])
    } catch (error) {
      throw new Error('cannot decrypt a signing key: tokens.keyEncryptionKey is not the key it was encrypted with, or the record was altered', { cause: error })
    }
  }

  toJSON (): string {
    return '[redacted]'
  }

  toString (): string {
    return '[redacted]'
  }

  [inspect.custom] (): string {
    return 'KeyEncryptionKey [redacted]'
  }
}

/**
 * A KEK from configuration: hex (e.g. `openssl rand -hex 32`) or base64/base64url (`openssl rand -base64 32`) of at
 * least 32 bytes, a Buffer, or an already parsed KeyEncryptionKey. Throws an Error naming `path`, never quoting it.
 */
export function parseKeyEncryptionKey (value: unknown, path: string): KeyEncryptionKey {
  if (value instanceof KeyEncryptionKey) return value
  let bytes: Buffer | undefined
  if (Buffer.isBuffer(value)) bytes = Buffer.from(value)
  else if (typeof value === 'string') {
    const text = value.trim()
    if (HEX.test(text)) bytes = Buffer.from(text, 'hex')
    else if (BASE64.test(text)) bytes = Buffer.from(text, 'base64')
    else throw new Error(`${path} must be hex or base64 text (e.g. the output of \`openssl rand -base64 32\`)`)
  } else {
    throw new Error(`${path} is required with a key ring: ${MIN_KEK_BYTES} random bytes or more, hex or base64 (from the environment, never in the file)`)
  }
  if (bytes.length < MIN_KEK_BYTES) throw new Error(`${path} must hold at least ${MIN_KEK_BYTES} bytes (got ${bytes.length})`)
  if (bytes.every((byte) => byte === bytes[0])) throw new Error(`${path} must be random, not one repeated byte`)
  return new KeyEncryptionKey(bytes)
}

/** The authenticated label of a key's ciphertext. */
export function sealLabel (kid: string, alg: string): string {
  return `authgate-key-ring:v1:${alg}:${kid}`
}
