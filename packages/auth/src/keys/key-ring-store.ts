// The storage contract of the signing-key ring (tokens.keyRing), and its in-memory implementation (one process:
// tests and development; the MongoDB one is stores/mongo/key-ring-store.ts).
//
// The ring is stored as insert-only generations: each change (rotate, retire) writes the WHOLE new ring as generation
// N + 1 under a unique `_id`, and the ring is the generation with the highest number. An insert under a unique key is
// atomic on every MongoDB-wire server (FerretDB v1 included, which has no transactions and whose findOneAndUpdate is
// a read then a write): of two `keys rotate` racing from the same generation, exactly one inserts N + 1 and the other
// gets a conflict. So there is never a moment, nor an interleaving, with two `current` keys.
import type { AccessAlgorithm } from '../tokens/types.js'

export type RingKeyState = 'next' | 'current' | 'retired'

/** AES-256-GCM ciphertext of a private key (PKCS#8 PEM) or HMAC secret, base64url parts. */
export interface SealedKey {
  v: 1
  iv: string
  tag: string
  data: string
}

export interface StoredRingKey {
  kid: string
  alg: AccessAlgorithm
  state: RingKeyState
  createdAt: Date
  /** When it became `current` (null while `next`). */
  activatedAt: Date | null
  /** When it became `retired` (null otherwise). */
  retiredAt: Date | null
  /** SPKI PEM of asymmetric keys (public: not encrypted). */
  publicKey: string | null
  /**
   * The private key or HMAC secret, encrypted under the key-encryption key. Dropped for retired asymmetric keys (they
   * only verify); kept for HMAC keys, whose secret is also what verifies.
   */
  sealed: SealedKey | null
}

export interface KeyRingRecord {
  /** 1, 2, 3…: unique; the ring is the highest generation. */
  generation: number
  createdAt: Date
  /** What wrote it (`rotate`, `retire`), for operators reading the collection. */
  change: string
  keys: StoredRingKey[]
}

export interface KeyRingStore {
  /** The newest generation, or null for an empty ring. Rejects (AUTH_STORE_UNAVAILABLE) when the store cannot answer. */
  readKeyRing (): Promise<KeyRingRecord | null>
  /**
   * Inserts `record` as generation `record.generation`. Resolves false when that generation exists already: another
   * writer changed the ring since it was read, and nothing was written.
   */
  insertKeyRing (record: KeyRingRecord): Promise<boolean>
  /** Removes generations older than `generation` (housekeeping: they hold old sealed keys). Never the newest one. */
  pruneKeyRing (beforeGeneration: number): Promise<void>
}

/** A SessionStore that can also hold the key ring (MongoSessionStore, MemorySessionStore). */
export interface KeyRingCapable {
  keyRingStore (): KeyRingStore
}

export function hasKeyRingStore (value: unknown): value is KeyRingCapable {
  return typeof value === 'object' && value !== null && typeof (value as Partial<KeyRingCapable>).keyRingStore === 'function'
}

export function isKeyRingStore (value: unknown): value is KeyRingStore {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return ['readKeyRing', 'insertKeyRing', 'pruneKeyRing'].every((name) => typeof candidate[name] === 'function')
}

/** One process only: instances of other processes never see it. Records are copied in and out. */
export class MemoryKeyRingStore implements KeyRingStore {
  readonly #generations = new Map<number, KeyRingRecord>()

  readKeyRing (): Promise<KeyRingRecord | null> {
    let newest: KeyRingRecord | undefined
    for (const record of this.#generations.values()) if (newest === undefined || record.generation > newest.generation) newest = record
    return Promise.resolve(newest === undefined ? null : structuredClone(newest))
  }

  insertKeyRing (record: KeyRingRecord): Promise<boolean> {
    if (this.#generations.has(record.generation)) return Promise.resolve(false)
    this.#generations.set(record.generation, structuredClone(record))
    return Promise.resolve(true)
  }

  pruneKeyRing (beforeGeneration: number): Promise<void> {
    const newest = Math.max(0, ...this.#generations.keys())
    for (const generation of [...this.#generations.keys()]) {
      if (generation < beforeGeneration && generation !== newest) this.#generations.delete(generation)
    }
    return Promise.resolve()
  }
}
