// MongoDB SessionStore (official driver). Works on MongoDB and on FerretDB v1: no transactions, change streams or
// TTL expiry are relied on; the TTL index on `expiresAt` only tidies up where the server runs it.
//
// A dead or slow database must answer fast (503), not hang requests: short server selection and connect timeouts,
// `maxTimeMS` on every operation, a client-side deadline on every store call, and every driver error mapped to
// AuthError AUTH_STORE_UNAVAILABLE at this boundary (with the driver error as `cause`, for logs only). Connecting,
// reconnecting and replacing a stuck client are in stores/mongo/connection.ts.
import type {
  ChangeStream, ChangeStreamDocument, ChangeStreamOptions, Collection, CommandStartedEvent, Db, Document, MongoClient, MongoClientOptions
} from 'mongodb'
import { serverErrorCode } from './driver.js'
import { AuthError } from '../../errors.js'
import { DEFAULT_MONGO_TIMEOUT_MS, MongoConnection } from './connection.js'
import {
  createIndexes, DUPLICATE_KEY, liveFilter, toSession, toUser, unavailable,
  type ClaimDoc, type DeviceDoc, type SessionDoc, type TombstoneDoc, type UserDoc
} from './schema.js'
import { recordTombstones, rotateWithClaim } from './rotation.js'
import { SUBJECT_ID_RANGE, SUBJECT_TOMBSTONE_RETENTION_MS, subjectRevocationId } from '../../tokens/subject-revocation.js'
import { logSliceIgnored, serverHonoursSlice, type StoreLogger } from './history-cap.js'
import { MongoKeyRingStore } from './key-ring-store.js'
import { WARNING_INTERVAL_MS } from '../../internal/log-throttle.js'
import type { KeyRingCapable, KeyRingStore } from '../../keys/key-ring-store.js'
import { MongoOidcStore } from './oidc-store.js'
import type { OidcCapable, OidcStore } from '../oidc.js'
import { escapeRegExp } from './escape-regexp.js'
import { findNetworks, recordNetwork, type NetworksDoc } from './networks.js'
import type { NetworkSighting, NetworkVerdict, UserNetworks } from '../ip-memory.js'
import { consumeOneTimeToken, createOneTimeToken, deleteOneTimeTokens, type OneTimeTokenDoc } from './one-time.js'
import { AuditUpkeep, insertAudit, listAudit, type AuditDoc } from './audit.js'
import type { AuditListQuery, AuditRecord } from '../audit-records.js'
import {
  type DeviceRecord, type DeviceSeen, type NewSession, type NewUser, type OneTimePurpose, type OneTimeTokenRecord, type RotateInput,
  type SessionPage, type SessionRecord, type SessionStore, type UserPage, type UserRecord
} from '../store.js'

/** `store: { mongodb: … }`: a url (the driver is loaded then: install `mongodb`) or a connected client, and a database. */
export interface MongoStoreOptions {
  /** A connection string; the store creates, owns and closes its client. */
  url?: string
  /** An existing client; the store neither connects nor closes it. */
  client?: MongoClient
  database: string
  /** Default 3000 ms: how long an operation waits for a reachable server before answering 503. */
  serverSelectionTimeoutMS?: number
  /** Default 3000 ms: server-side time limit of each operation. */
  maxTimeMS?: number
  /**
   * Default: the larger of serverSelectionTimeoutMS and maxTimeMS, plus 500 ms. Client-side limit of each store
   * call (connect included): past it the call answers 503 even if the server holds the connection open silently.
   */
  operationTimeoutMS?: number
  /** Collection names (defaults `users`, `sessions`, `devices`, `rotations`, `revocations`, `networks`, `oneTimeTokens`, `audit`). */
  collections?: { users?: string, sessions?: string, devices?: string, rotations?: string, revocations?: string, networks?: string, oneTimeTokens?: string, audit?: string }
  /** Where the store says how it adapts to its server (e.g. a server that ignores `$slice`). The plugin passes its own. */
  logger?: StoreLogger
  /**
   * Called with the driver's command-monitoring event of every command the store's own clients send (a `url` store
   * only: an application's `client` is the application's to watch). For benchmarks and diagnostics: counting round
   * trips this way keeps the store's own client, with its deadlines and reconnects.
   */
  onCommandStarted?: (event: CommandStartedEvent) => void
}

interface Handles {
  db: Db
  users: Collection<UserDoc>
  sessions: Collection<SessionDoc>
  devices: Collection<DeviceDoc>
  claims: Collection<ClaimDoc>
  tombstones: Collection<TombstoneDoc>
  networks: Collection<NetworksDoc>
  oneTimeTokens: Collection<OneTimeTokenDoc>
  audit: Collection<AuditDoc>
}

/** Time budget of background store work (revocation polling): long, since no request waits on it. */
const BACKGROUND_TIME_MS = 30_000

/**
 * The production store: MongoDB (or a MongoDB-wire server such as FerretDB) through the official driver, an optional
 * peer loaded when the store is first used. Creates its indexes itself; shared by every instance of the app.
 */
export class MongoSessionStore implements SessionStore, KeyRingCapable, OidcCapable {
  readonly #connection: MongoConnection
  readonly #maxTimeMS: number
  readonly #names: { users: string, sessions: string, devices: string, claims: string, tombstones: string, networks: string, oneTimeTokens: string, audit: string }
  /** The collection handles of the current client (rebuilt when stores/mongo/connection.ts replaces a stuck client). */
  #handles: Handles | undefined
  #indexes: Promise<void> | undefined
  readonly #logger: StoreLogger | undefined
  #pruneWarnedAt = -Infinity
  /** Whether the server applies `$slice`: probed with the indexes, before any rotation (stores/mongo/history-cap.ts). */
  #sliceHonoured = true
  /** One per store: its index state (init once, retried at most once a minute) must be shared by every caller. */
  #oidc: MongoOidcStore | undefined
  /** The audit collection's lazy indexes and sweep: its failures never reach the store's own init (logins). */
  readonly #auditUpkeep: AuditUpkeep

  constructor (options: MongoStoreOptions) {
    const selection = options.serverSelectionTimeoutMS ?? DEFAULT_MONGO_TIMEOUT_MS
    this.#maxTimeMS = options.maxTimeMS ?? DEFAULT_MONGO_TIMEOUT_MS
    this.#logger = options.logger
    // The server-side limits bound a call on a server that answers; the deadline bounds it on one that does not.
    const deadlineMS = options.operationTimeoutMS ?? Math.max(selection, this.#maxTimeMS) + 500
    const clientOptions: MongoClientOptions = {
      serverSelectionTimeoutMS: selection,
      connectTimeoutMS: selection,
      // Only while awaiting a reply: a call past its deadline has answered 503 already; this frees its connection.
      // As long as the longest legitimate wait (a background revocation poll, BACKGROUND_TIME_MS), not the request
      // deadline: a socket timeout would kill that query, and requests are bounded by their own deadline anyway.
      socketTimeoutMS: Math.max(deadlineMS, BACKGROUND_TIME_MS),
      retryWrites: true,
      // An acknowledged rotation or revocation must survive a primary failover.
      writeConcern: { w: 'majority', journal: true }
    }
    this.#connection = new MongoConnection({
      client: options.client, url: options.url, clientOptions, database: options.database, deadlineMS, onCommandStarted: options.onCommandStarted,
      // Failures lasting longer than one call's budget are worth a fresh client's probe.
      replaceAfterMS: deadlineMS
    })
    this.#names = {
      users: options.collections?.users ?? 'users',
      sessions: options.collections?.sessions ?? 'sessions',
      devices: options.collections?.devices ?? 'devices',
      claims: options.collections?.rotations ?? 'rotations',
      tombstones: options.collections?.revocations ?? 'revocations',
      networks: options.collections?.networks ?? 'networks',
      oneTimeTokens: options.collections?.oneTimeTokens ?? 'oneTimeTokens',
      audit: options.collections?.audit ?? 'audit'
    }
    this.#auditUpkeep = new AuditUpkeep({ collection: () => this.#audit, maxTimeMS: this.#maxTimeMS, logger: this.#logger })
  }

  #current (): Handles {
    const db = this.#connection.db
    if (this.#handles?.db !== db) {
      this.#handles = {
        db,
        users: db.collection<UserDoc>(this.#names.users),
        sessions: db.collection<SessionDoc>(this.#names.sessions),
        devices: db.collection<DeviceDoc>(this.#names.devices),
        claims: db.collection<ClaimDoc>(this.#names.claims),
        tombstones: db.collection<TombstoneDoc>(this.#names.tombstones),
        networks: db.collection<NetworksDoc>(this.#names.networks),
        oneTimeTokens: db.collection<OneTimeTokenDoc>(this.#names.oneTimeTokens),
        audit: db.collection<AuditDoc>(this.#names.audit)
      }
    }
    return this.#handles
  }

  get #users (): Collection<UserDoc> { return this.#current().users }
  get #sessions (): Collection<SessionDoc> { return this.#current().sessions }
  get #devices (): Collection<DeviceDoc> { return this.#current().devices }
  get #claims (): Collection<ClaimDoc> { return this.#current().claims }
  get #tombstones (): Collection<TombstoneDoc> { return this.#current().tombstones }
  get #networks (): Collection<NetworksDoc> { return this.#current().networks }
  get #oneTimeTokens (): Collection<OneTimeTokenDoc> { return this.#current().oneTimeTokens }
  get #audit (): Collection<AuditDoc> { return this.#current().audit }

  /**
   * Loads the driver and creates the client (a store given a url), so that a missing driver (MissingPeerError) or
   * a url the driver refuses (its own error) rejects here, at the plugin's registration, instead of every call.
   */
  async prepare (): Promise<void> {
    await this.#connection.prepare()
  }

  /** Indexes are created once per store; a failure (database down at boot) is retried by the next operation. */
  async init (): Promise<void> {
    try {
      await this.#connection.run(() => this.#ensureIndexes())
    } catch (error) {
      throw unavailable(error)
    }
  }

  #ensureIndexes (): Promise<void> {
    this.#indexes ??= this.#prepare().catch((error: unknown) => {
      this.#indexes = undefined
      throw error
    })
    return this.#indexes
  }

  /** Once per store, before its first operation: the indexes, and what this server does with the operators we use. */
  async #prepare (): Promise<void> {
    await createIndexes({ users: this.#users, sessions: this.#sessions, devices: this.#devices, claims: this.#claims, tombstones: this.#tombstones, networks: this.#networks, oneTimeTokens: this.#oneTimeTokens })
    this.#sliceHonoured = await serverHonoursSlice(this.#claims, this.#maxTimeMS)
    if (!this.#sliceHonoured) logSliceIgnored(this.#logger)
  }

  /** Runs `operation` once indexes exist, within the deadline, mapping every failure to AUTH_STORE_UNAVAILABLE. */
  async #run<T> (operation: () => Promise<T>, deadlineMS?: number): Promise<T> {
    try {
      return await this.#connection.run(async () => {
        await this.#ensureIndexes()
        return await operation()
      }, deadlineMS)
    } catch (error) {
      throw unavailable(error)
    }
  }

  async ping (): Promise<void> {
    try {
      // Through the connection: readiness reconnects after a boot failure, counts towards replacing a stuck client,
      // and is bounded by the deadline (the driver's `timeoutMS` has no effect in driver 7.x).
      await this.#connection.run(() => this.#connection.db.command({ ping: 1 }))
    } catch (error) {
      throw unavailable(error)
    }
  }

  /**
   * The server's `hello` reply, through the connection (it reconnects after a failure, like ping): whether change
   * streams exist is read from it (revocation/change-stream.ts). Rejects with AUTH_STORE_UNAVAILABLE.
   */
  async hello (): Promise<Document> {
    try {
      return await this.#connection.run(() => this.#connection.db.command({ hello: 1 }))
    } catch (error) {
      throw unavailable(error)
    }
  }

  /**
   * A change stream of the insert-only revocations collection (revocation/change-stream.ts), on the current client.
   * Only where `hello` names a replica set or mongos; the caller closes it. Never part of a request's path.
   * Synchronous, so it cannot load the driver or create the client itself: it relies on a store call having run
   * first (the plugin calls it only after `hello()` answered; before any call there is no client and it throws).
   */
  watchRevocations (pipeline: Document[], options: ChangeStreamOptions): ChangeStream<TombstoneDoc, ChangeStreamDocument<TombstoneDoc>> {
    return this.#tombstones.watch<TombstoneDoc>(pipeline, options)
  }

  async close (): Promise<void> {
    await this.#connection.close()
  }

  /** The signing-key ring (tokens.keyRing) in this database, on this store's connection and deadline. */
  keyRingStore (): KeyRingStore {
    return new MongoKeyRingStore({ run: (operation) => this.#connection.run(operation), db: () => this.#connection.db, maxTimeMS: this.#maxTimeMS })
  }

  /** OIDC identities and login states (oidc.providers) in this database, on this store's connection and deadline. */
  oidcStore (): OidcStore {
    return this.#oidc ??= new MongoOidcStore({ run: (operation) => this.#connection.run(operation), db: () => this.#connection.db, maxTimeMS: this.#maxTimeMS })
  }

  async createUser (user: NewUser): Promise<UserRecord> {
    const now = user.createdAt ?? new Date()
    const { id, ...rest } = user
    const doc: UserDoc = { _id: id, ...rest, createdAt: now, updatedAt: now }
    return this.#run(async () => {
      try {
        await this.#users.insertOne(doc, { maxTimeMS: this.#maxTimeMS })
      } catch (error) {
        if ((await serverErrorCode(error)) === DUPLICATE_KEY) throw new AuthError('AUTH_EMAIL_TAKEN')
        throw error
      }
      return toUser(doc)
    })
  }

  async findUserByEmail (emailNormalized: string): Promise<UserRecord | null> {
    const doc = await this.#run(() => this.#users.findOne({ emailNormalized }, { maxTimeMS: this.#maxTimeMS }))
    return doc === null ? null : toUser(doc)
  }

  async findUserById (id: string): Promise<UserRecord | null> {
    const doc = await this.#run(() => this.#users.findOne({ _id: id }, { maxTimeMS: this.#maxTimeMS }))
    return doc === null ? null : toUser(doc)
  }

  async setUserRoles (id: string, roles: string[]): Promise<boolean> {
    const result = await this.#run(() => this.#users.updateOne({ _id: id }, { $set: { roles: [...roles], updatedAt: new Date() } }, { maxTimeMS: this.#maxTimeMS }))
    return result.matchedCount === 1
  }

  async listUsers (page: UserPage): Promise<UserRecord[]> {
    const { after, emailContains } = page
    const position = after === undefined
      ? {}
      : { $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }] }
    // Escaped: the query is typed by an admin and must match as text, never as a pattern (no ReDoS, no wildcards).
    const match = emailContains === undefined ? {} : { emailNormalized: { $regex: escapeRegExp(emailContains) } }
    const docs = await this.#run(() => this.#users
      .find({ ...match, ...position }, { maxTimeMS: this.#maxTimeMS })
      .sort({ createdAt: -1, _id: -1 })
      .limit(page.limit)
      .toArray())
    return docs.map(toUser)
  }

  async setUserDisabled (id: string, disabled: boolean, now: Date): Promise<boolean> {
    const result = await this.#run(() => this.#users.updateOne({ _id: id }, { $set: { disabled, updatedAt: now } }, { maxTimeMS: this.#maxTimeMS }))
    return result.matchedCount === 1
  }

  async setUserPassword (id: string, passwordHash: string, now: Date): Promise<boolean> {
    const result = await this.#run(() => this.#users.updateOne({ _id: id }, { $set: { passwordHash, updatedAt: now } }, { maxTimeMS: this.#maxTimeMS }))
    return result.matchedCount === 1
  }

  async setEmailVerified (id: string, emailNormalized: string, now: Date): Promise<boolean> {
    const result = await this.#run(() => this.#users.updateOne({ _id: id, emailNormalized }, { $set: { emailVerified: true, updatedAt: now } }, { maxTimeMS: this.#maxTimeMS }))
    return result.matchedCount === 1
  }

  async createOneTimeToken (token: OneTimeTokenRecord): Promise<void> {
    await this.#run(() => createOneTimeToken(this.#oneTimeTokens, token, this.#maxTimeMS))
  }

  async consumeOneTimeToken (hash: string, purpose: OneTimePurpose, now: Date): Promise<OneTimeTokenRecord | null> {
    return this.#run(() => consumeOneTimeToken(this.#oneTimeTokens, hash, purpose, now, this.#maxTimeMS))
  }

  async deleteOneTimeTokens (userId: string, purpose: OneTimePurpose): Promise<number> {
    return this.#run(() => deleteOneTimeTokens(this.#oneTimeTokens, userId, purpose, this.#maxTimeMS))
  }

  async deleteUser (id: string): Promise<boolean> {
    return this.#run(async () => {
      // The user last: a delete that fails halfway leaves the user, so a retry finds them and finishes.
      await this.#devices.deleteMany({ userId: id }, { maxTimeMS: this.#maxTimeMS })
      // The user's networks, and their last-sighting document (`userId|`, stores/mongo/networks.ts), which holds no userId.
      await this.#networks.deleteMany({ $or: [{ userId: id }, { _id: `${id}|` }] }, { maxTimeMS: this.#maxTimeMS })
      // Their sessions are revoked (the caller did it first) and stay until they expire, for reuse detection; what
      // they say about the person goes now.
      await this.#sessions.updateMany({ userId: id }, { $set: { email: null, ip: '', userAgent: '' } }, { maxTimeMS: this.#maxTimeMS })
      const result = await this.#users.deleteOne({ _id: id }, { maxTimeMS: this.#maxTimeMS })
      return result.deletedCount === 1
    })
  }

  async createSession (session: NewSession): Promise<SessionRecord> {
    const { id, ...rest } = session
    const doc: SessionDoc = { _id: id, ...rest, previousHashes: [], grace: null, revokedAt: null }
    await this.#run(() => this.#sessions.insertOne(doc, { maxTimeMS: this.#maxTimeMS }))
    return toSession(doc)
  }

  async rotateSession (input: RotateInput): Promise<SessionRecord | null> {
    return this.#run(() => rotateWithClaim(this.#sessions, this.#claims, this.#tombstones, input, this.#maxTimeMS, this.#sliceHonoured))
  }

  async findByTokenHash (hash: string, now: Date, idleSince: Date): Promise<SessionRecord | null> {
    const doc = await this.#run(() => this.#sessions.findOne({ tokenHash: hash, ...liveFilter(now, idleSince) }, { maxTimeMS: this.#maxTimeMS }))
    return doc === null ? null : toSession(doc)
  }

  async findByPreviousHash (hash: string): Promise<SessionRecord | null> {
    const doc = await this.#run(() => this.#sessions.findOne({ previousHashes: hash }, { maxTimeMS: this.#maxTimeMS }))
    return doc === null ? null : toSession(doc)
  }

  async findActiveSession (id: string, now: Date, idleSince: Date): Promise<SessionRecord | null> {
    const doc = await this.#run(() => this.#sessions.findOne({ _id: id, ...liveFilter(now, idleSince) }, { maxTimeMS: this.#maxTimeMS }))
    return doc === null ? null : toSession(doc)
  }

  // Every revocation writes its tombstone first, then the session (see TombstoneDoc for why the order matters).

  async revokeByTokenHash (hash: string, now: Date, graceSince?: Date): Promise<SessionRecord | null> {
    // A retired token revokes only while its grace entry is young: afterwards it is just a stale token.
    const match = graceSince === undefined ? { tokenHash: hash } : { $or: [{ tokenHash: hash }, { 'grace.hash': hash, 'grace.retiredAt': { $gt: graceSince } }] }
    return this.#run(async () => {
      const found = await this.#sessions.findOne({ ...match, ...liveFilter(now) }, { projection: { _id: 1 }, maxTimeMS: this.#maxTimeMS })
      if (found === null) return null
      await recordTombstones(this.#tombstones, [found._id], now, this.#maxTimeMS)
      const doc = await this.#sessions.findOneAndUpdate(
        { _id: found._id, revokedAt: null },
        { $set: { revokedAt: now, grace: null } },
        { returnDocument: 'after', maxTimeMS: this.#maxTimeMS }
      )
      return doc === null ? null : toSession(doc)
    })
  }

  async revokeFamily (familyId: string, now: Date): Promise<string[]> {
    return this.#revokeMany({ familyId }, now)
  }

  async revokeUserSession (userId: string, id: string, now: Date): Promise<{ found: boolean, revoked: boolean }> {
    return this.#run(async () => {
      const exists = await this.#sessions.countDocuments({ _id: id, userId }, { limit: 1, maxTimeMS: this.#maxTimeMS })
      if (exists === 0) return { found: false, revoked: false }
      await recordTombstones(this.#tombstones, [id], now, this.#maxTimeMS)
      const result = await this.#sessions.updateOne({ _id: id, userId, revokedAt: null }, { $set: { revokedAt: now, grace: null } }, { maxTimeMS: this.#maxTimeMS })
      return { found: true, revoked: result.modifiedCount === 1 }
    })
  }

  async revokeSubject (issuer: string, sub: string, now: Date): Promise<void> {
    await this.#run(() => recordTombstones(this.#tombstones, [subjectRevocationId(issuer, sub, now)], now, this.#maxTimeMS, SUBJECT_TOMBSTONE_RETENTION_MS))
  }

  async listSubjectRevokedSince (since: Date, limit = 100_000): Promise<Array<{ id: string, revokedAt: Date }>> {
    // The _id range selects the subject tombstones (few) among all the session ones, through the _id index.
    const docs = await this.#run(() => this.#tombstones
      .find({ _id: { $gte: SUBJECT_ID_RANGE.from, $lt: SUBJECT_ID_RANGE.before }, revokedAt: { $gte: since } }, { projection: { _id: 1, revokedAt: 1 }, maxTimeMS: BACKGROUND_TIME_MS })
      .sort({ revokedAt: 1 })
      .limit(limit)
      .toArray(), BACKGROUND_TIME_MS)
    return docs.map((doc) => ({ id: doc._id, revokedAt: doc.revokedAt }))
  }

  async revokeUserSessions (userId: string, now: Date, exceptId?: string): Promise<string[]> {
    return this.#revokeMany(exceptId === undefined ? { userId } : { userId, _id: { $ne: exceptId } }, now)
  }

  /** Revokes every matching unrevoked session and returns their ids (no transactions: ids first, then update). */
  async #revokeMany (filter: Record<string, unknown>, now: Date): Promise<string[]> {
    return this.#run(async () => {
      const docs = await this.#sessions.find({ ...filter, revokedAt: null }, { projection: { _id: 1 }, maxTimeMS: this.#maxTimeMS }).toArray()
      const ids = docs.map((doc) => doc._id)
      if (ids.length === 0) return []
      await recordTombstones(this.#tombstones, ids, now, this.#maxTimeMS)
      await this.#sessions.updateMany({ _id: { $in: ids }, revokedAt: null }, { $set: { revokedAt: now, grace: null } }, { maxTimeMS: this.#maxTimeMS })
      return ids
    })
  }

  async listUserSessions (userId: string, now: Date, idleSince: Date, page?: SessionPage): Promise<SessionRecord[]> {
    const after = page?.after
    const position = after === undefined
      ? {}
      : { $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }] }
    const docs = await this.#run(() => this.#sessions
      .find({ userId, ...liveFilter(now, idleSince), ...position }, { maxTimeMS: this.#maxTimeMS })
      .sort({ createdAt: -1, _id: -1 })
      .limit(page?.limit ?? 1000)
      .toArray())
    return docs.map(toSession)
  }

  async clearGrace (id: string, hash: string): Promise<void> {
    await this.#run(() => this.#sessions.updateOne({ _id: id, 'grace.hash': hash }, { $set: { grace: null } }, { maxTimeMS: this.#maxTimeMS }))
  }

  async listRevokedSince (since: Date, limit = 100_000): Promise<Array<{ id: string, revokedAt: Date }>> {
    // From the insert-only tombstones: a revocation is listed even if a racing write un-revoked its session.
    // Background work (the revocation poll), on no request's path: it gets BACKGROUND_TIME_MS, not the request
    // budget. FerretDB v1 scans and sorts the whole window whatever the limit: 100 000 tombstones took over 3 s.
    const docs = await this.#run(() => this.#tombstones
      .find({ revokedAt: { $gte: since } }, { projection: { _id: 1, revokedAt: 1 }, maxTimeMS: BACKGROUND_TIME_MS })
      .sort({ revokedAt: 1 })
      .limit(limit)
      .toArray(), BACKGROUND_TIME_MS)
    return docs.map((doc) => ({ id: doc._id, revokedAt: doc.revokedAt }))
  }

  async recordDevice (seen: DeviceSeen): Promise<{ isNew: boolean }> {
    return this.#run(async () => {
      const filter = { userId: seen.userId, deviceId: seen.deviceId }
      const update = {
        $set: { lastSeenAt: seen.now, lastIp: seen.ip, userAgent: seen.userAgent },
        $setOnInsert: { firstSeenAt: seen.now }
      }
      try {
        const before = await this.#devices.findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'before', maxTimeMS: this.#maxTimeMS })
        if (before !== null || seen.legacyDeviceId === undefined) return { isNew: before === null }
        // Looks new: perhaps recorded under its cookie value (before ids were opaque). Only then one more round
        // trip: that record is folded into the opaque one (its first sighting kept) and removed.
        const legacy = await this.#devices.findOneAndDelete({ userId: seen.userId, deviceId: seen.legacyDeviceId }, { maxTimeMS: this.#maxTimeMS })
        if (legacy === null) return { isNew: true }
        await this.#devices.updateOne(filter, { $set: { firstSeenAt: legacy.firstSeenAt } }, { maxTimeMS: this.#maxTimeMS })
        return { isNew: false }
      } catch (error) {
        // Two concurrent first logins from one device: one upsert inserts, the other hits the unique index.
        if ((await serverErrorCode(error)) === DUPLICATE_KEY) {
          await this.#devices.updateOne(filter, { $set: update.$set }, { maxTimeMS: this.#maxTimeMS })
          return { isNew: false }
        }
        throw error
      }
    })
  }

  async listDevices (userId: string): Promise<DeviceRecord[]> {
    const docs = await this.#run(() => this.#devices.find({ userId }, { projection: { _id: 0 }, maxTimeMS: this.#maxTimeMS }).toArray())
    return docs.map((doc) => ({
      userId: doc.userId, deviceId: doc.deviceId, userAgent: doc.userAgent, firstSeenAt: doc.firstSeenAt, lastSeenAt: doc.lastSeenAt, lastIp: doc.lastIp
    }))
  }

  async recordNetwork (seen: NetworkSighting): Promise<NetworkVerdict> {
    let decided: Promise<NetworkVerdict> | undefined
    const pruneFailed = (error: unknown): void => {
      // Once a minute at most: any client can cause sightings.
      if (Date.now() - this.#pruneWarnedAt < WARNING_INTERVAL_MS) return
      this.#pruneWarnedAt = Date.now()
      this.#logger?.warn({ event: 'store_networks_prune_failed', err: error }, 'authgate: could not trim a user\'s remembered networks (retried on the next new network)')
    }
    try {
      return await this.#run(() => (decided = recordNetwork(this.#networks, seen, this.#maxTimeMS, pruneFailed)))
    } catch (error) {
      // The deadline may fire after the upsert landed: the network is known from then on, so the late verdict is the
      // only one there will ever be (the caller bounds its own wait).
      if (decided === undefined) throw error
      return await decided.catch(() => { throw error })
    }
  }

  async findNetworks (userId: string): Promise<UserNetworks | null> {
    return this.#run(() => findNetworks(this.#networks, userId, this.#maxTimeMS))
  }

  async insertAudit (rows: AuditRecord[]): Promise<void> {
    await this.#run(async () => {
      await this.#auditUpkeep.indexes()
      await insertAudit(this.#audit, rows, this.#maxTimeMS)
      await this.#auditUpkeep.sweep(new Date())
    })
  }

  async listAudit (query: AuditListQuery): Promise<AuditRecord[]> {
    return this.#run(async () => {
      await this.#auditUpkeep.indexes()
      return await listAudit(this.#audit, query, this.#maxTimeMS)
    })
  }
}
