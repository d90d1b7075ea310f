// The signing-key ring's states and transitions, as pure functions of one ring generation (no I/O: the store calls
// are in key-ring-ops.ts, the polling service in key-ring-service.ts).
//
// - `next`: published in the JWKS and accepted for verification, never signs. Every instance (and every upstream's
//   JWKS cache) learns it before anything is signed with it, so promoting it never produces a token some verifier
//   does not know.
// - `current`: the one signing key (exactly one in a non-empty ring).
// - `retired`: verifies until `retiredAt` + the verification window (the longest token lifetime, plus the clock
//   tolerance, plus one refresh interval: an instance that has not polled yet still signs with it), then leaves the
//   verification set and the JWKS.
import { isHmac } from '../tokens/key-material.js'
import { generateKey } from './keys-dir.js'
import { sealLabel, type KeyEncryptionKey } from './key-ring-crypto.js'
import type { KeyRingRecord, StoredRingKey } from './key-ring-store.js'
import type { AccessAlgorithm, KeyInput } from '../tokens/types.js'

export type KeyRingErrorCode = 'AUTHGATE_KEY_RING_CONFLICT' | 'AUTHGATE_KEY_RING_NEXT_TOO_YOUNG' | 'AUTHGATE_KEY_RING_REFUSED'

/** A ring change that was refused; nothing was written. */
export class KeyRingError extends Error {
  readonly code: KeyRingErrorCode
  constructor (code: KeyRingErrorCode, message: string) {
    super(message)
    this.name = 'KeyRingError'
    this.code = code
  }
}

/** A new key of the ring, its private part sealed under `kek`. */
export function newRingKey (algorithm: AccessAlgorithm, kek: KeyEncryptionKey, state: 'next' | 'current', now: Date): StoredRingKey {
  return dated(sealNewKey(algorithm, kek), state, now)
}

type SealedNewKey = Pick<StoredRingKey, 'kid' | 'alg' | 'publicKey' | 'sealed'>

/** Generates a key and seals its private part; not dated yet (generating an RSA key can take seconds). */
function sealNewKey (algorithm: AccessAlgorithm, kek: KeyEncryptionKey): SealedNewKey {
  const input = generateKey(algorithm)
  const secret = isHmac(algorithm) ? Buffer.from(input.secret as Buffer) : Buffer.from(input.privateKey as string, 'utf8')
  const sealed = kek.seal(secret, sealLabel(input.kid, algorithm))
  secret.fill(0)
  return { kid: input.kid, alg: algorithm, publicKey: typeof input.publicKey === 'string' ? input.publicKey : null, sealed }
}

function dated (key: SealedNewKey, state: 'next' | 'current', now: Date): StoredRingKey {
  return { ...key, state, createdAt: now, activatedAt: state === 'current' ? now : null, retiredAt: null }
}

export interface RotationPlan {
  record: KeyRingRecord
  /** `created`: an empty ring got current + next; `rotated`: next → current → retired; `next-created`: only a next. */
  action: 'created' | 'rotated' | 'next-created'
  current: string | undefined
  next: string
  retired: string | undefined
}

export interface RotationOptions {
  algorithm: AccessAlgorithm
  kek: KeyEncryptionKey
  /**
   * When the change is made. Default: the time after the new keys are generated, just before the record is written:
   * a `next` key's age decides when it may sign, so it must never be dated before it exists.
   */
  now?: Date
  /** A `next` younger than this is not promoted (keyRingMinNextAgeMs: two refresh intervals), unless `force`. */
  minNextAgeMs: number
  force?: boolean
}

export function planRotation (ring: KeyRingRecord | null, options: RotationOptions): RotationPlan {
  const { algorithm, kek } = options
  const stamp = (): Date => options.now ?? new Date()
  const generation = (ring?.generation ?? 0) + 1
  const keys = ring?.keys ?? []
  const current = keys.find((key) => key.state === 'current')
  const next = keys.find((key) => key.state === 'next')
  if (current === undefined) {
    if (keys.length > 0) throw new KeyRingError('AUTHGATE_KEY_RING_REFUSED', `key ring generation ${ring?.generation ?? 0} has no current key; it was not written by authgate`)
    // An empty ring: no instance can verify anything yet, so the first current key cannot be announced in advance.
    const [first, following] = [sealNewKey(algorithm, kek), sealNewKey(algorithm, kek)]
    const now = stamp()
    return { record: { generation, createdAt: now, change: 'rotate', keys: [dated(first, 'current', now), dated(following, 'next', now)] }, action: 'created', current: first.kid, next: following.kid, retired: undefined }
  }
  if (next === undefined) {
    // The next key was retired early (e.g. compromised): announce a new one; it is promoted by a later rotate.
    const following = sealNewKey(algorithm, kek)
    const now = stamp()
    return { record: { generation, createdAt: now, change: 'rotate', keys: [...keys, dated(following, 'next', now)] }, action: 'next-created', current: current.kid, next: following.kid, retired: undefined }
  }
  // Checked before generating anything (a refusal costs no key); the age only grows until the write.
  const age = stamp().getTime() - next.createdAt.getTime()
  if (age < options.minNextAgeMs && options.force !== true) {
    throw new KeyRingError('AUTHGATE_KEY_RING_NEXT_TOO_YOUNG', `the next key ${next.kid} was published ${Math.max(0, Math.floor(age / 1000))} s ago; ` +
      `an instance or JWKS cache that has not seen it yet would refuse tokens signed with it. Wait ${Math.ceil((options.minNextAgeMs - age) / 1000)} s ` +
      '(two tokens.keyRefresh intervals) or use --force')
  }
  const following = sealNewKey(algorithm, kek)
  const now = stamp()
  const rotated = keys.map((key): StoredRingKey => {
    if (key === next) return { ...key, state: 'current', activatedAt: now }
    // A retired asymmetric key only verifies: its private part leaves the live ring (older generations keep it,
    // sealed under the KEK, until they are pruned).
    if (key === current) return { ...key, state: 'retired', retiredAt: now, sealed: isHmac(key.alg) ? key.sealed : null }
    return key
  })
  return {
    record: { generation, createdAt: now, change: 'rotate', keys: [...rotated, dated(following, 'next', now)] },
    action: 'rotated',
    current: next.kid,
    next: following.kid,
    retired: current.kid
  }
}

export interface RetirePlan {
  /** Undefined when nothing changes. */
  record: KeyRingRecord | undefined
  dropped: string[]
}

/**
 * Drops retired keys past their verification window; with `kid`, also drops that key now whatever its state, unless
 * it is the current one (e.g. a compromised `next`, or a retired key whose tokens must stop working at once).
 */
export function planRetire (ring: KeyRingRecord | null, options: { now: Date, windowMs: number, kid?: string }): RetirePlan {
  const keys = ring?.keys ?? []
  if (options.kid !== undefined) {
    const target = keys.find((key) => key.kid === options.kid)
    if (target === undefined) throw new KeyRingError('AUTHGATE_KEY_RING_REFUSED', `no key ${options.kid} in the key ring`)
    if (target.state === 'current') {
      throw new KeyRingError('AUTHGATE_KEY_RING_REFUSED', `${options.kid} is the current signing key: run \`authgate keys rotate\` first (with --force if its next key is too young)`)
    }
  }
  const dropped = keys.filter((key) => key.kid === options.kid || !isVerifying(key, options.now, options.windowMs)).map((key) => key.kid)
  if (ring === null || dropped.length === 0) return { record: undefined, dropped: [] }
  return {
    record: { generation: ring.generation + 1, createdAt: options.now, change: 'retire', keys: keys.filter((key) => !dropped.includes(key.kid)) },
    dropped
  }
}

/** Whether `key` is in the verification set (and the JWKS) at `now`. */
export function isVerifying (key: StoredRingKey, now: Date, windowMs: number): boolean {
  return key.state !== 'retired' || key.retiredAt === null || key.retiredAt.getTime() + windowMs > now.getTime()
}

/** When a retired key leaves the verification set (undefined for other states). */
export function verifiesUntil (key: StoredRingKey, windowMs: number): Date | undefined {
  return key.state === 'retired' && key.retiredAt !== null ? new Date(key.retiredAt.getTime() + windowMs) : undefined
}

/**
 * The material a process needs of `key`: the private part (decrypted) only for the current key, and for HMAC keys
 * (the secret is also what verifies); public keys otherwise, so `next` and retired keys can never sign.
 */
export function openRingKey (key: StoredRingKey, kek: KeyEncryptionKey): KeyInput {
  const base = { kid: key.kid, algorithm: key.alg }
  if (isHmac(key.alg)) {
    if (key.sealed === null) throw new Error(`key ring: HMAC key ${key.kid} has no secret`)
    return { ...base, secret: kek.open(key.sealed, sealLabel(key.kid, key.alg)) }
  }
  if (key.state !== 'current') {
    if (key.publicKey === null) throw new Error(`key ring: key ${key.kid} has no public key`)
    return { ...base, publicKey: key.publicKey }
  }
  if (key.sealed === null) throw new Error(`key ring: current key ${key.kid} has no private key`)
  return { ...base, privateKey: kek.open(key.sealed, sealLabel(key.kid, key.alg)).toString('utf8'), ...(key.publicKey === null ? {} : { publicKey: key.publicKey }) }
}
