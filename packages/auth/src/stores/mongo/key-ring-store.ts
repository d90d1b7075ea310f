// The signing-key ring in MongoDB (collection `signingKeys`): one document per generation, `_id` = the generation
// number, insert-only (see keys/key-ring-store.ts for why that makes concurrent rotations safe without transactions). It
// shares the session store's connection, so every call has the store's deadline and maps failures to 503.
import type { Db } from 'mongodb'
import { serverErrorCode } from './driver.js'
import { DUPLICATE_KEY, unavailable } from './schema.js'
import type { KeyRingRecord, KeyRingStore } from '../../keys/key-ring-store.js'

export const KEY_RING_COLLECTION = 'signingKeys'

type KeyRingDoc = Omit<KeyRingRecord, 'generation'> & { _id: number }

export interface MongoKeyRingOptions {
  /** Runs one call on the store's connection, within its deadline (MongoConnection.run). */
  run: <T>(operation: () => Promise<T>) => Promise<T>
  db: () => Db
  maxTimeMS: number
  collection?: string
}

export class MongoKeyRingStore implements KeyRingStore {
  readonly #options: MongoKeyRingOptions
  readonly #name: string

  constructor (options: MongoKeyRingOptions) {
    this.#options = options
    this.#name = options.collection ?? KEY_RING_COLLECTION
  }

  #collection () {
    return this.#options.db().collection<KeyRingDoc>(this.#name)
  }

  async #run<T> (operation: () => Promise<T>): Promise<T> {
    try {
      return await this.#options.run(operation)
    } catch (error) {
      throw unavailable(error)
    }
  }

  async readKeyRing (): Promise<KeyRingRecord | null> {
    const { maxTimeMS } = this.#options
    const doc = await this.#run(() => this.#collection().find({}, { maxTimeMS }).sort({ _id: -1 }).limit(1).next())
    if (doc === null) return null
    const { _id, ...rest } = doc
    return { generation: _id, ...rest }
  }

  async insertKeyRing (record: KeyRingRecord): Promise<boolean> {
    const { generation, ...rest } = record
    return this.#run(async () => {
      try {
        await this.#collection().insertOne({ _id: generation, ...rest }, { maxTimeMS: this.#options.maxTimeMS })
        return true
      } catch (error) {
        // The unique `_id`: another writer inserted this generation first.
        if ((await serverErrorCode(error)) === DUPLICATE_KEY) return false
        throw error
      }
    })
  }

  async pruneKeyRing (beforeGeneration: number): Promise<void> {
    await this.#run(async () => {
      const newest = await this.#collection().find({}, { projection: { _id: 1 }, maxTimeMS: this.#options.maxTimeMS }).sort({ _id: -1 }).limit(1).next()
      const limit = Math.min(beforeGeneration, newest?._id ?? 0)
      await this.#collection().deleteMany({ _id: { $lt: limit } }, { maxTimeMS: this.#options.maxTimeMS })
    })
  }
}
