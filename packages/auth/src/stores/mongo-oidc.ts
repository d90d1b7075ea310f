// OIDC identities and login states in MongoDB (collections `identities` and `oidcStates`), on the session store's
// connection and deadline. Both are keyed by `_id` (the identity key, the state hash), so uniqueness and the
// single-use take need no further index and hold on every MongoDB-wire server (FerretDB v1 included: no transactions,
// and its findOneAndDelete is not atomic, see takeLoginState).
import { MongoServerError, type Db } from 'mongodb'
import { DUPLICATE_KEY, unavailable } from './mongo-schema.js'
import { DEFAULT_STATES_PER_CLIENT, identityKey, type ExternalIdentity, type LoginStateLimits, type LoginStateRecord, type OidcStore, type SaveStateResult } from './oidc.js'

/** Live login states kept at most: beyond it new sign-ins are refused (429) until some finish or expire. */
const MAX_MONGO_STATES = 100_000

type IdentityDoc = ExternalIdentity & { _id: string }
type StateDoc = Omit<LoginStateRecord, 'id'> & { _id: string }

export interface MongoOidcOptions {
  /** Runs one call on the store's connection, within its deadline (MongoConnection.run). */
  run: <T>(operation: () => Promise<T>) => Promise<T>
  db: () => Db
  maxTimeMS: number
  collections?: { identities?: string, states?: string }
  /** Caps on live login states (tests lower them). */
  stateLimits?: LoginStateLimits
}

export class MongoOidcStore implements OidcStore {
  readonly #options: MongoOidcOptions
  #indexes: Promise<void> | undefined
  #userIndex: Promise<void> | undefined

  constructor (options: MongoOidcOptions) {
    this.#options = options
  }

  #identities () {
    return this.#options.db().collection<IdentityDoc>(this.#options.collections?.identities ?? 'identities')
  }

  #states () {
    return this.#options.db().collection<StateDoc>(this.#options.collections?.states ?? 'oidcStates')
  }

  async #run<T> (operation: () => Promise<T>): Promise<T> {
    try {
      return await this.#options.run(operation)
    } catch (error) {
      throw unavailable(error)
    }
  }

  async findIdentity (provider: string, subject: string): Promise<ExternalIdentity | null> {
    const doc = await this.#run(() => this.#identities().findOne({ _id: identityKey(provider, subject) }, { maxTimeMS: this.#options.maxTimeMS }))
    if (doc === null) return null
    return { provider: doc.provider, subject: doc.subject, userId: doc.userId, createdAt: doc.createdAt }
  }

  async linkIdentity (identity: ExternalIdentity): Promise<boolean> {
    return this.#run(async () => {
      try {
        await this.#identities().insertOne({ _id: identityKey(identity.provider, identity.subject), ...identity }, { maxTimeMS: this.#options.maxTimeMS })
        return true
      } catch (error) {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false
        throw error
      }
    })
  }

  async unlinkIdentity (provider: string, subject: string, userId: string): Promise<boolean> {
    const { deletedCount } = await this.#run(() => this.#identities().deleteOne({ _id: identityKey(provider, subject), userId }, { maxTimeMS: this.#options.maxTimeMS }))
    return deletedCount === 1
  }

  async unlinkUser (userId: string): Promise<number> {
    return this.#run(async () => {
      this.#userIndex ??= this.#identities().createIndex({ userId: 1 }, { name: 'userId' }, undefined).then(() => undefined, () => { this.#userIndex = undefined })
      await this.#userIndex
      const { deletedCount } = await this.#identities().deleteMany({ userId }, { maxTimeMS: this.#options.maxTimeMS })
      return deletedCount
    })
  }

  async saveLoginState (state: LoginStateRecord, now: Date): Promise<SaveStateResult> {
    const { id, ...rest } = state
    const { maxTimeMS } = this.#options
    const limits = this.#options.stateLimits ?? { total: MAX_MONGO_STATES, perClient: DEFAULT_STATES_PER_CLIENT }
    return this.#run(async () => {
      // The TTL index only tidies (test servers and FerretDB v1 never expire documents): every count and take
      // filters on expiresAt itself. The (client, expiresAt) index keeps the per-client count to that client's states.
      this.#indexes ??= Promise.all([
        this.#states().createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' }, undefined),
        this.#states().createIndex({ client: 1, expiresAt: 1 }, { name: 'client_expiresAt' }, undefined)
      ]).then(() => undefined, () => { this.#indexes = undefined })
      await this.#indexes
      const live = { expiresAt: { $gt: now } }
      // Cheap first (collection metadata); only near the cap are expired states removed and the live ones counted.
      if (await this.#states().estimatedDocumentCount({ maxTimeMS }) >= limits.total) {
        await this.#states().deleteMany({ expiresAt: { $lte: now } }, { maxTimeMS })
        if (await this.#states().countDocuments(live, { limit: limits.total, maxTimeMS }) >= limits.total) return 'full'
      }
      if (await this.#states().countDocuments({ client: state.client, ...live }, { limit: limits.perClient, maxTimeMS }) >= limits.perClient) return 'client-full'
      await this.#states().insertOne({ _id: id, ...rest }, { maxTimeMS })
      return 'saved'
    })
  }

  async takeLoginState (id: string, now: Date): Promise<LoginStateRecord | null> {
    const { maxTimeMS } = this.#options
    // Read, then delete: the delete decides. findOneAndDelete is a read then a write on FerretDB v1, so two racing
    // callers could both receive the document; only one delete of a document counts one removal, on every server.
    const doc = await this.#run(async () => {
      const found = await this.#states().findOne({ _id: id }, { maxTimeMS })
      if (found === null) return null
      const { deletedCount } = await this.#states().deleteOne({ _id: id }, { maxTimeMS })
      return deletedCount === 1 ? found : null
    })
    if (doc === null || doc.expiresAt <= now) return null
    const { _id, ...rest } = doc
    return { id: _id, ...rest }
  }
}
