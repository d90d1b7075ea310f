// OIDC identities, join claims and login states in MongoDB (collections `identities`, `oidcJoins` and `oidcStates`),
// on the session store's connection and deadline. All are keyed by `_id` (the identity key, the join claim's
// generation and key, the state hash), so uniqueness, the join arbitration and the single-use take need no further
// index and hold on every MongoDB-wire server (FerretDB v1 included: no transactions, and its findOneAndDelete is not
// atomic, see takeLoginState). The other indexes (init) only make lookups cheap: a plain (userId) index for
// hasIdentity and unlinkUser, the claims' (key, generation) one, and the states' expiry and per-client/network ones.
import type { Db } from 'mongodb'
import { serverErrorCode } from './driver.js'
import { AuthError } from '../../errors.js'
import { dropIndexIfPresent, DUPLICATE_KEY, ttlIndex, unavailable } from './schema.js'
import { DEFAULT_STATES_PER_CLIENT, DEFAULT_STATES_PER_NETWORK, identityKey, JOIN_CLAIM_MS, joinClaimKey, type ExternalIdentity, type LoginStateLimits, type LoginStateRecord, type OidcStore, type SaveStateResult } from '../oidc.js'

/** Live login states kept at most: beyond it new sign-ins are refused (429) until some finish or expire. */
const MAX_MONGO_STATES = 100_000
/** How long a process trusts its count of live states once at the cap (a full store stays full that long). */
const FULL_VERDICT_MS = 5_000
/** Expired states are deleted by a sweep at most this often per process (the TTL index tidies too, where it runs). */
const SWEEP_INTERVAL_MS = 30_000
/** After the indexes failed, the next attempt waits this long: a server refusing one must not cost every call a round trip. */
const INDEX_RETRY_MS = 60_000
/**
 * Rounds of read, insert-next-generation in claimJoin: after a lost insert the next read finds a live claim. Losing
 * every round is an outage (503), never "another subject won": that answer gives the subject an account of its own.
 */
const CLAIM_ATTEMPTS = 3
/**
 * Digits of the generation in a claim's `_id` (`<generation>:<joinClaimKey>`): digits are never `:`, so the first `:`
 * ends the generation and two claims' ids never collide; the fixed width keeps the ids' order numeric.
 */
const GENERATION_DIGITS = 12

type IdentityDoc = ExternalIdentity & { _id: string }
type StateDoc = Omit<LoginStateRecord, 'id'> & { _id: string }
interface JoinDoc { _id: string, key: string, generation: number, subject: string, expiresAt: Date }

export interface MongoOidcOptions {
  /** Runs one call on the store's connection, within its deadline (MongoConnection.run). */
  run: <T>(operation: () => Promise<T>) => Promise<T>
  db: () => Db
  maxTimeMS: number
  collections?: { identities?: string, states?: string, joins?: string }
  /** Caps on live login states (tests lower them). */
  stateLimits?: LoginStateLimits
}

export class MongoOidcStore implements OidcStore {
  readonly #options: MongoOidcOptions
  #indexes: Promise<void> | undefined
  #indexesFailedAt = Number.NEGATIVE_INFINITY
  /** At the cap: when the live states were counted (ms) and how many more may be saved till the next count. */
  #verdict: { from: number, room: number } | undefined
  #sweptAt = Number.NEGATIVE_INFINITY

  constructor (options: MongoOidcOptions) {
    this.#options = options
  }

  #identities () {
    return this.#options.db().collection<IdentityDoc>(this.#options.collections?.identities ?? 'identities')
  }

  #joins () {
    return this.#options.db().collection<JoinDoc>(this.#options.collections?.joins ?? 'oidcJoins')
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

  /**
   * Creates the indexes, once (createIndex with an identical spec is a no-op on every server). Called at start-up;
   * after a failure, the first call of any method at least INDEX_RETRY_MS later tries again in the background.
   */
  init (): Promise<void> {
    if (this.#indexes === undefined) {
      if (performance.now() - this.#indexesFailedAt < INDEX_RETRY_MS) return Promise.reject(new Error('oidc indexes: failed recently, retried later'))
      this.#indexes = this.#run(() => this.#createIndexes()).catch((error: unknown) => {
        this.#indexes = undefined
        this.#indexesFailedAt = performance.now()
        throw error
      })
    }
    return this.#indexes
  }

  /** Starts init when it has not run or may be retried; never awaited: no answer depends on an index. */
  #prepare (): void {
    this.init().catch(() => undefined)
  }

  async #createIndexes (): Promise<void> {
    // The TTL index only tidies (test servers and FerretDB v1, which gets a plain index, never expire documents):
    // every count and take filters on expiresAt itself.
    await this.#identities().createIndex({ userId: 1 }, { name: 'userId' }, undefined)
    await this.#joins().createIndex({ key: 1, generation: -1 }, { name: 'key_generation' }, undefined)
    // Never a TTL on the claims: removing a claim's latest generation lets a later reader start again at generation 0
    // while a racer inserts the next one, and both win. claimJoin tidies the superseded ones itself. (Earlier
    // versions made one: dropped.)
    await dropIndexIfPresent(this.#joins(), 'expiresAt_ttl')
    await ttlIndex(this.#states())
    // The (client|network, expiresAt) indexes keep each cap's count to its own states.
    await this.#states().createIndex({ client: 1, expiresAt: 1 }, { name: 'client_expiresAt' }, undefined)
    await this.#states().createIndex({ network: 1, expiresAt: 1 }, { name: 'network_expiresAt' }, undefined)
  }

  async findIdentity (provider: string, subject: string): Promise<ExternalIdentity | null> {
    this.#prepare()
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
        if ((await serverErrorCode(error)) === DUPLICATE_KEY) return false
        throw error
      }
    })
  }

  async unlinkIdentity (provider: string, subject: string, userId: string): Promise<boolean> {
    const { deletedCount } = await this.#run(() => this.#identities().deleteOne({ _id: identityKey(provider, subject), userId }, { maxTimeMS: this.#options.maxTimeMS }))
    return deletedCount === 1
  }

  async hasIdentity (provider: string, userId: string, exceptSubject?: string): Promise<boolean> {
    const filter = exceptSubject === undefined ? { userId, provider } : { userId, provider, subject: { $ne: exceptSubject } }
    this.#prepare()
    return this.#run(async () => {
      return await this.#identities().findOne(filter, { projection: { _id: 1 }, maxTimeMS: this.#options.maxTimeMS }) !== null
    })
  }

  async unlinkUser (userId: string): Promise<number> {
    this.#prepare()
    return this.#run(async () => {
      const { deletedCount } = await this.#identities().deleteMany({ userId }, { maxTimeMS: this.#options.maxTimeMS })
      return deletedCount
    })
  }

  /**
   * Claims are generations: `_id` `<generation>:<joinClaimKey>`, each inserted once. Taking over an expired claim
   * inserts the next generation, never updates or deletes it: on FerretDB v1 an update or a filtered delete is a read
   * then a write, so a racer could remove a claim made a moment ago; a duplicate `_id` is refused atomically
   * everywhere. No TTL either: the latest generation stays, so a later reader never starts again at 0. The winner of
   * generation k deletes those below k - 1, which no racer can still be inserting (it would have read generation
   * k - 3 or older as the latest, two claims' lives ago). k - 1 stays: a MongoDB query that yields may skip a document
   * deleted meanwhile, and a reader that began before k was inserted would then see no generation at all. So at most
   * two documents per key remain, and a generation's id is never free while anyone may still compute it.
   */
  async claimJoin (provider: string, userId: string, subject: string, now: Date): Promise<boolean> {
    const key = joinClaimKey(provider, userId)
    const { maxTimeMS } = this.#options
    return this.#run(async () => {
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        const latest = await this.#joins().find({ key }, { maxTimeMS }).sort({ generation: -1 }).limit(1).next()
        if (latest !== null && latest.expiresAt > now) return latest.subject === subject
        const generation = latest === null ? 0 : latest.generation + 1
        try {
          await this.#joins().insertOne({ _id: `${String(generation).padStart(GENERATION_DIGITS, '0')}:${key}`, key, generation, subject, expiresAt: new Date(now.getTime() + JOIN_CLAIM_MS) }, { maxTimeMS })
        } catch (error) {
          // Another racer made this generation first: read again, it is live now.
          if ((await serverErrorCode(error)) !== DUPLICATE_KEY) throw error
          continue
        }
        // Tidying only: the claim is won, and a generation left behind is removed by the next takeover.
        if (generation > 1) await this.#joins().deleteMany({ key, generation: { $lt: generation - 1 } }, { maxTimeMS }).catch(() => undefined)
        return true
      }
      throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5, cause: new Error(`join claim: lost all ${CLAIM_ATTEMPTS} attempts without finding a live claim`) })
    })
  }

  async saveLoginState (state: LoginStateRecord, now: Date): Promise<SaveStateResult> {
    const { id, ...rest } = state
    const { maxTimeMS } = this.#options
    const limits = this.#options.stateLimits ?? { total: MAX_MONGO_STATES, perClient: DEFAULT_STATES_PER_CLIENT, perNetwork: DEFAULT_STATES_PER_NETWORK }
    this.#prepare()
    return this.#run(async () => {
      if (await this.#full(now, limits.total)) return 'full'
      // Inserted first, then counted: a check before the insert lets parallel requests of one client all pass it.
      // Over the cap, this request's own state goes again (racing ones may all go: they retry, none slips through).
      await this.#states().insertOne({ _id: id, ...rest }, { maxTimeMS })
      const over = await this.#over({ client: state.client }, limits.perClient, now) ? 'client-full'
        : await this.#over({ network: state.network }, limits.perNetwork, now) ? 'network-full' : undefined
      if (over !== undefined) {
        await this.#states().deleteOne({ _id: id }, { maxTimeMS })
        return over
      }
      if (this.#verdict !== undefined) this.#verdict.room--
      return 'saved'
    })
  }

  /** Whether the live states matching `filter` (this request's own included) are more than `cap`. */
  async #over (filter: { client: string } | { network: string }, cap: number, now: Date): Promise<boolean> {
    const { maxTimeMS } = this.#options
    return await this.#states().countDocuments({ ...filter, expiresAt: { $gt: now } }, { limit: cap + 1, maxTimeMS }) > cap
  }

  /**
   * Whether the live states reach `total`. Below the cap it costs one metadata read. At the cap the verdict (and the
   * room left) is kept for FULL_VERDICT_MS and expired states are swept at most once per SWEEP_INTERVAL_MS: a flood
   * of /login at a full store must not run a collection scan per request.
   */
  async #full (now: Date, total: number): Promise<boolean> {
    const { maxTimeMS } = this.#options
    const at = now.getTime()
    if (this.#verdict !== undefined && at >= this.#verdict.from && at < this.#verdict.from + FULL_VERDICT_MS) return this.#verdict.room <= 0
    this.#verdict = undefined
    if (await this.#states().estimatedDocumentCount({ maxTimeMS }) < total) return false
    if (at - this.#sweptAt >= SWEEP_INTERVAL_MS || at < this.#sweptAt) {
      this.#sweptAt = at
      await this.#states().deleteMany({ expiresAt: { $lte: now } }, { maxTimeMS })
    }
    const live = await this.#states().countDocuments({ expiresAt: { $gt: now } }, { limit: total, maxTimeMS })
    this.#verdict = { from: at, room: total - live }
    return this.#verdict.room <= 0
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
