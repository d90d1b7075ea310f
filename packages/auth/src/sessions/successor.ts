// The successor of a retired refresh token, kept on the session only for the grace window and encrypted so that only
// the holder of the retired token can read it: AES-256-GCM under a key derived with HKDF-SHA256 from the retired
// token. The database holds the token's hash, which does not yield the key, so a database reader learns nothing.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const INFO = 'authgate refresh successor v1'
const VERSION = 'v1'

function deriveKey (retiredToken: string, binding: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(retiredToken, 'utf8'), Buffer.from(binding, 'utf8'), INFO, 32))
}

/** `v1.<iv>.<ciphertext>.<tag>` (base64url); `binding` (the retired token's hash) is the HKDF salt and
 * the associated data, so a sealed value moved to another entry does not open. */
export function sealSuccessor (retiredToken: string, binding: string, successor: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', deriveKey(retiredToken, binding), iv)
  cipher.setAAD(Buffer.from(binding, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()])
  return [VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
}

/** The successor, or undefined when `sealed` was not sealed with this token and session (or is malformed). */
export function openSuccessor (retiredToken: string, binding: string, sealed: string): string | undefined {
  const [version, iv, ciphertext, tag, extra] = sealed.split('.')
  if (version !== VERSION || iv === undefined || ciphertext === undefined || tag === undefined || extra !== undefined) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(retiredToken, binding), Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(binding, 'utf8'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}
