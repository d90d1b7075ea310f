// The operator's changes to the key ring (`authgate keys rotate | retire | list`): read the newest generation, plan
// the change (key-ring.ts), insert it as the next generation. A concurrent change makes the insert fail on the unique
// generation number and this one reports a conflict: it never retries on its own (a second rotation the operator
// did not ask for would promote a `next` nobody has seen).
import type { KeyRingRecord, KeyRingStore, StoredRingKey } from './key-ring-store.js'
import { KeyRingError, planRetire, planRotation, verifiesUntil, type RotationOptions, type RotationPlan } from './key-ring.js'

/** Generations kept besides the newest: a short history for operators; older ones hold old sealed keys. */
const KEPT_GENERATIONS = 10

async function write (store: KeyRingStore, record: KeyRingRecord): Promise<void> {
  if (!await store.insertKeyRing(record)) {
    throw new KeyRingError('AUTHGATE_KEY_RING_CONFLICT', `the key ring changed while this command ran (another \`authgate keys\` command wrote generation ${record.generation}); ` +
      'nothing was written. Check `authgate keys list` and run it again if still needed')
  }
  // Housekeeping only: a failure here leaves a little more history, never a wrong ring.
  await store.pruneKeyRing(record.generation - KEPT_GENERATIONS).catch(() => undefined)
}

export type RotateOptions = RotationOptions

export async function rotateKeyRing (store: KeyRingStore, options: RotateOptions): Promise<RotationPlan> {
  const ring = await store.readKeyRing()
  // Without options.now, planRotation dates the change after generating the new keys: the write follows at once.
  const plan = planRotation(ring, options)
  await write(store, plan.record)
  return plan
}

export async function retireKeys (store: KeyRingStore, options: { windowMs: number, kid?: string, now?: Date }): Promise<{ generation: number | undefined, dropped: string[] }> {
  const ring = await store.readKeyRing()
  const plan = planRetire(ring, { ...options, now: options.now ?? new Date() })
  if (plan.record !== undefined) await write(store, plan.record)
  return { generation: plan.record?.generation ?? ring?.generation, dropped: plan.dropped }
}

/** What `authgate keys list` shows of a key: never its private part. */
export type KeyInfo = Pick<StoredRingKey, 'kid' | 'alg' | 'state' | 'createdAt' | 'activatedAt' | 'retiredAt'> & {
  /** Retired keys: when they stop verifying. */
  verifiesUntil: Date | null
}

export async function listKeyRing (store: KeyRingStore, windowMs: number): Promise<{ generation: number | undefined, keys: KeyInfo[] }> {
  const ring = await store.readKeyRing()
  return {
    generation: ring?.generation,
    keys: (ring?.keys ?? []).map((key) => ({
      kid: key.kid,
      alg: key.alg,
      state: key.state,
      createdAt: key.createdAt,
      activatedAt: key.activatedAt,
      retiredAt: key.retiredAt,
      verifiesUntil: verifiesUntil(key, windowMs) ?? null
    }))
  }
}
