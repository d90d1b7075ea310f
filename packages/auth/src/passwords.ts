// Password hashing: argon2id, m=19456 KiB, t=2, p=1 (OWASP Password Storage cheat sheet), through @node-rs/argon2,
// whose async functions run on libuv's thread pool, off the event loop (≈ 8 ms per hash on one core).
// Passwords are NFC-normalised at both set and check, so one Unicode password typed on two systems verifies the same.
import { randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'

/** Default `@node-rs/argon2` algorithm is argon2id (version 0x13); these are the OWASP minimums. */
export const PASSWORD_HASH_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const
export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 1024

export function normalisePassword (password: string): string {
  return password.normalize('NFC')
}

/** A PHC string `$argon2id$v=19$m=19456,t=2,p=1$…` for `password`. */
export async function hashPassword (password: string): Promise<string> {
  return hash(normalisePassword(password), PASSWORD_HASH_OPTIONS)
}

/** True when `password` matches `passwordHash`. A malformed hash is a mismatch, never a crash. */
export async function verifyPassword (passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, normalisePassword(password))
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | undefined

/**
 * Spends the same work as a real verification when the user does not exist, so "unknown email" and "wrong
 * password" cannot be told apart by timing (OWASP Authentication cheat sheet).
 */
export async function verifyDummy (password: string): Promise<false> {
  dummyHash ??= hash(randomBytes(32).toString('base64url'), PASSWORD_HASH_OPTIONS)
  await verifyPassword(await dummyHash, password)
  return false
}

/** Prepares the dummy hash at start-up so the first unknown-user login is not faster or slower than the rest. */
export async function warmDummyHash (): Promise<void> {
  await verifyDummy('warm-up')
}
