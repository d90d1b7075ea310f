// Password hashing: argon2id, m=19456 KiB, t=2, p=1 (OWASP Password Storage cheat sheet), through @node-rs/argon2,
// whose async functions run on libuv's thread pool, off the event loop (≈ 8 ms per hash on one core).
// Passwords are NFC-normalised at both set and check, so one Unicode password typed on two systems verifies the same.
//
// At most one hash per core but one runs at a time (a login storm must not take the core the event loop needs: the
// Bearer traffic of everyone else would wait behind it), and at most MAX_HASH_WAITING wait; beyond that a login is refused
// with 429 at once instead of queueing memory (each hash holds 19 MiB while it runs, a waiting one holds nothing).
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { hash, verify } from '@node-rs/argon2'
import { AuthError } from '../errors.js'

/** Default `@node-rs/argon2` algorithm is argon2id (version 0x13); these are the OWASP minimums. */
export const PASSWORD_HASH_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const
export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 1024

export const HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1)
export const MAX_HASH_WAITING = 256
let running = 0
const waiting: Array<() => void> = []

/** Hashes running and waiting now (for tests and metrics). */
export function hashQueue (): { running: number, waiting: number } {
  return { running, waiting: waiting.length }
}

/** Runs `work` in one of the HASH_CONCURRENCY slots, first come first served. */
async function inHashSlot<T> (work: () => Promise<T>): Promise<T> {
  if (running < HASH_CONCURRENCY) {
    running++
  } else {
    if (waiting.length >= MAX_HASH_WAITING) throw new AuthError('AUTH_RATE_LIMITED', { retryAfter: 1 })
    // The slot is handed over by the finishing hash (running is not decremented in between).
    await new Promise<void>((resolve) => waiting.push(resolve))
  }
  try {
    return await work()
  } finally {
    const next = waiting.shift()
    if (next === undefined) running--
    else next()
  }
}

/**
 * The one password policy (registration, reset, change): MIN_PASSWORD_LENGTH to MAX_PASSWORD_LENGTH characters,
 * counted as code points after NFC, as the password is hashed. Throws AuthError AUTH_BAD_REQUEST saying so.
 */
export function checkPasswordPolicy (password: string): void {
  const length = Array.from(normalisePassword(password)).length
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new AuthError('AUTH_BAD_REQUEST', { message: `password must hold ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` })
  }
}

export function normalisePassword (password: string): string {
  return password.normalize('NFC')
}

/** A PHC string `$argon2id$v=19$m=19456,t=2,p=1$…` for `password`. */
export async function hashPassword (password: string): Promise<string> {
  return inHashSlot(() => hash(normalisePassword(password), PASSWORD_HASH_OPTIONS))
}

/** True when `password` matches `passwordHash`. A malformed hash is a mismatch, never a crash. */
export async function verifyPassword (passwordHash: string, password: string): Promise<boolean> {
  // A full queue throws (429) before the try: that is not a mismatch.
  return inHashSlot(async () => {
    try {
      return await verify(passwordHash, normalisePassword(password))
    } catch {
      return false
    }
  })
}

let dummyHash: Promise<string> | undefined

/**
 * Spends the same work as a real verification when the user does not exist, so "unknown email" and "wrong
 * password" cannot be told apart by timing (OWASP Authentication cheat sheet).
 */
export async function verifyDummy (password: string): Promise<false> {
  // A failed attempt is not kept: every unknown-email login would fail while known ones answer 401 (an oracle).
  dummyHash ??= inHashSlot(() => hash(randomBytes(32).toString('base64url'), PASSWORD_HASH_OPTIONS))
    .catch((error: unknown) => { dummyHash = undefined; throw error })
  await verifyPassword(await dummyHash, password)
  return false
}

/** Prepares the dummy hash at start-up so the first unknown-user login is not faster or slower than the rest. */
export async function warmDummyHash (): Promise<void> {
  await verifyDummy('warm-up')
}
