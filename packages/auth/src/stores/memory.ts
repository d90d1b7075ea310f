/* eslint-disable @typescript-eslint/require-await -- the SessionStore interface is async; this store answers at once */
// In-memory SessionStore for tests and development: one process, nothing survives a restart. Each method reads and
// writes without an `await` in between, so the rotation compare-and-swap is atomic on the event loop just as
// findOneAndUpdate is on the server. Records are copied in and out so callers never share mutable state with it.
import { AuthError } from '../errors.js'
import {
  MAX_PREVIOUS_HASHES, type DeviceRecord, type DeviceSeen, type GraceEntry, type NewSession, type NewUser, type RotateInput,
  type OneTimePurpose, type OneTimeTokenRecord, type SessionPage, type SessionRecord, type SessionStore, type UserPage, type UserRecord
} from './store.js'
import { MemoryKeyRingStore, type KeyRingCapable, type KeyRingStore } from '../keys/key-ring-store.js'
import { comesAfter, newestFirst } from './session-order.js'
import { SUBJECT_TOMBSTONE_RETENTION_MS, subjectRevocationId } from '../tokens/subject-revocation.js'
import { MemoryOidcStore, type OidcCapable, type OidcStore } from './oidc.js'
import { MemoryAuditTrail } from './memory-audit.js'
import type { AuditListQuery, AuditRecord } from './audit-records.js'
import { applySighting, copyNetworks, type NetworkSighting, type NetworkVerdict, type UserNetworks } from './ip-memory.js'

/**
 * A session's copy, field by field: structuredClone of a session holding its MAX_PREVIOUS_HASHES retired hashes
 * cost ≈ 40–80 µs, twice per rotation, and bounded the in-memory refresh rate (docs/profiling.md, issue #18).
 * Strings are immutable, so arrays of them are copied shallowly; Dates and the grace entry are new objects. Every
 * field is named (no spread) and the literal must satisfy Required<SessionRecord>, so a field added to SessionRecord,
 * optional ones too, fails to compile here until it is copied.
 */
function copySession (session: SessionRecord): SessionRecord {
  return {
    id: session.id,
    userId: session.userId,
    familyId: session.familyId,
    tokenHash: session.tokenHash,
    previousHashes: session.previousHashes.slice(),
    grace: copyGrace(session.grace),
    roles: session.roles.slice(),
    email: session.email,
    device: session.device,
    ip: session.ip,
    userAgent: session.userAgent,
    createdAt: new Date(session.createdAt.getTime()),
    lastUsedAt: new Date(session.lastUsedAt.getTime()),
    expiresAt: new Date(session.expiresAt.getTime()),
    revokedAt: session.revokedAt === null ? null : new Date(session.revokedAt.getTime())
  } satisfies Required<SessionRecord>
}

function copyGrace (grace: GraceEntry | null): GraceEntry | null {
  return grace === null ? null : { hash: grace.hash, retiredAt: new Date(grace.retiredAt.getTime()), sealed: grace.sealed }
}

function isLive (session: SessionRecord, now: Date, idleSince?: Date): boolean {
  return session.revokedAt === null && session.expiresAt > now && (idleSince === undefined || session.lastUsedAt > idleSince)
}

const ONE_TIME_PRUNE_MS = 60_000
const ONE_TIME_PRUNE_MIN = 64

/**
 * The zero-setup store: users, sessions, devices and revocations in this process's memory, lost at restart and not
 * shared between instances. Passes the same contract suite as the MongoDB store (`@authgate/fastify/testing`).
 */
export class MemorySessionStore implements SessionStore, KeyRingCapable, OidcCapable {
  readonly #users = new Map<string, UserRecord>()
  readonly #emails = new Map<string, string>()
  readonly #sessions = new Map<string, SessionRecord>()
  readonly #byToken = new Map<string, string>()
  readonly #byPrevious = new Map<string, string>()
  readonly #devices = new Map<string, DeviceRecord>()
  readonly #networks = new Map<string, UserNetworks>()
  readonly #oneTimeTokens = new Map<string, OneTimeTokenRecord>()
  #oneTimePrunedAt = 0
  #oneTimeSizeAfterPrune = 0
  /** Subject revocations (tokens/subject-revocation.ts) as tombstones by id, oldest first; dropped once no token needs them. */
  readonly #subjectRevocations = new Map<string, Date>()

  async init (): Promise<void> {}
  async ping (): Promise<void> {}
  async close (): Promise<void> {}

  readonly #keyRing = new MemoryKeyRingStore()
  /** A key ring for this process only (development, tests). */
  keyRingStore (): KeyRingStore {
    return this.#keyRing
  }

  readonly #oidc = new MemoryOidcStore()
  /** OIDC identities and login states for this process only. */
  oidcStore (): OidcStore {
    return this.#oidc
  }

  async createUser (user: NewUser): Promise<UserRecord> {
    if (this.#emails.has(user.emailNormalized) || this.#users.has(user.id)) throw new AuthError('AUTH_EMAIL_TAKEN')
    const now = user.createdAt ?? new Date()
    const record: UserRecord = { ...structuredClone(user), createdAt: now, updatedAt: now }
    this.#users.set(record.id, record)
    this.#emails.set(record.emailNormalized, record.id)
    return structuredClone(record)
  }

  async findUserByEmail (emailNormalized: string): Promise<UserRecord | null> {
    const id = this.#emails.get(emailNormalized)
    return id === undefined ? null : this.#copyUser(id)
  }

  async findUserById (id: string): Promise<UserRecord | null> {
    return this.#copyUser(id)
  }

  async setUserRoles (id: string, roles: string[]): Promise<boolean> {
    const user = this.#users.get(id)
    if (user === undefined) return false
    user.roles = [...roles]
    user.updatedAt = new Date()
    return true
  }

  async listUsers (page: UserPage): Promise<UserRecord[]> {
    const { after, emailContains } = page
    return [...this.#users.values()]
      .filter((user) => emailContains === undefined || user.emailNormalized.includes(emailContains))
      .filter((user) => after === undefined || comesAfter(user, after))
      .sort(newestFirst)
      .slice(0, page.limit)
      .map((user) => structuredClone(user))
  }

  async setUserDisabled (id: string, disabled: boolean, now: Date): Promise<boolean> {
    const user = this.#users.get(id)
    if (user === undefined) return false
    user.disabled = disabled
    user.updatedAt = new Date(now.getTime())
    return true
  }

  async setUserPassword (id: string, passwordHash: string, now: Date): Promise<boolean> {
    const user = this.#users.get(id)
    if (user === undefined) return false
    user.passwordHash = passwordHash
    user.updatedAt = new Date(now.getTime())
    return true
  }

  async setEmailVerified (id: string, emailNormalized: string, now: Date): Promise<boolean> {
    const user = this.#users.get(id)
    if (user?.emailNormalized !== emailNormalized) return false
    user.emailVerified = true
    user.updatedAt = new Date(now.getTime())
    return true
  }

  async createOneTimeToken (token: OneTimeTokenRecord): Promise<void> {
    this.#pruneOneTimeTokens(new Date())
    this.#oneTimeTokens.set(token.hash, structuredClone(token))
  }

  async consumeOneTimeToken (hash: string, purpose: OneTimePurpose, now: Date): Promise<OneTimeTokenRecord | null> {
    const token = this.#oneTimeTokens.get(hash)
    if (token === undefined || token.purpose !== purpose || token.expiresAt <= now) return null
    this.#oneTimeTokens.delete(hash)
    return token
  }

  async deleteOneTimeTokens (userId: string, purpose: OneTimePurpose): Promise<number> {
    let deleted = 0
    for (const [hash, token] of this.#oneTimeTokens) {
      if (token.userId === userId && token.purpose === purpose) {
        this.#oneTimeTokens.delete(hash)
        deleted++
      }
    }
    return deleted
  }

  /**
   * Expired tokens are dropped as new ones come in (no timer), by a full scan only once a minute or when the map has
   * doubled since the last scan: amortised O(1) per create, and a flood cannot grow the map faster than it is swept.
   */
  #pruneOneTimeTokens (now: Date): void {
    const size = this.#oneTimeTokens.size
    if (now.getTime() - this.#oneTimePrunedAt < ONE_TIME_PRUNE_MS && size < 2 * Math.max(this.#oneTimeSizeAfterPrune, ONE_TIME_PRUNE_MIN)) return
    for (const [hash, token] of this.#oneTimeTokens) if (token.expiresAt <= now) this.#oneTimeTokens.delete(hash)
    this.#oneTimePrunedAt = now.getTime()
    this.#oneTimeSizeAfterPrune = this.#oneTimeTokens.size
  }

  async deleteUser (id: string): Promise<boolean> {
    const user = this.#users.get(id)
    if (user === undefined) return false
    for (const [key, device] of this.#devices) if (device.userId === id) this.#devices.delete(key)
    this.#networks.delete(id)
    // Revoked sessions stay until they expire (reuse detection); what they say about the person goes now.
    for (const session of this.#sessions.values()) {
      if (session.userId === id) Object.assign(session, { email: null, ip: '', userAgent: '' })
    }
    if (this.#emails.get(user.emailNormalized) === id) this.#emails.delete(user.emailNormalized)
    this.#users.delete(id)
    return true
  }

  #copyUser (id: string): UserRecord | null {
    const user = this.#users.get(id)
    return user === undefined ? null : structuredClone(user)
  }

  async createSession (session: NewSession): Promise<SessionRecord> {
    if (this.#sessions.has(session.id) || this.#byToken.has(session.tokenHash)) throw new AuthError('AUTH_STORE_UNAVAILABLE', { message: 'duplicate session' })
    const record: SessionRecord = { ...structuredClone(session), previousHashes: [], grace: null, revokedAt: null }
    this.#sessions.set(record.id, record)
    this.#byToken.set(record.tokenHash, record.id)
    return copySession(record)
  }

  async rotateSession (input: RotateInput): Promise<SessionRecord | null> {
    const id = this.#byToken.get(input.currentHash)
    const session = id === undefined ? undefined : this.#sessions.get(id)
    if (session === undefined || !isLive(session, input.now, input.idleSince)) return null
    this.#byToken.delete(input.currentHash)
    this.#byToken.set(input.nextHash, session.id)
    session.previousHashes.push(input.currentHash)
    this.#byPrevious.set(input.currentHash, session.id)
    if (session.previousHashes.length > MAX_PREVIOUS_HASHES) {
      const dropped = session.previousHashes.splice(0, session.previousHashes.length - MAX_PREVIOUS_HASHES)
      for (const hash of dropped) this.#byPrevious.delete(hash)
    }
    session.tokenHash = input.nextHash
    session.grace = copyGrace(input.grace)
    // The caller's Date is theirs to change later: the store keeps its own.
    session.lastUsedAt = new Date(input.now.getTime())
    session.ip = input.ip
    session.userAgent = input.userAgent
    return copySession(session)
  }

  async findByTokenHash (hash: string, now: Date, idleSince: Date): Promise<SessionRecord | null> {
    const session = this.#sessions.get(this.#byToken.get(hash) ?? '')
    return session !== undefined && isLive(session, now, idleSince) ? copySession(session) : null
  }

  async findByPreviousHash (hash: string): Promise<SessionRecord | null> {
    const id = this.#byPrevious.get(hash)
    const session = id === undefined ? undefined : this.#sessions.get(id)
    return session === undefined ? null : copySession(session)
  }

  async findActiveSession (id: string, now: Date, idleSince: Date): Promise<SessionRecord | null> {
    const session = this.#sessions.get(id)
    return session !== undefined && isLive(session, now, idleSince) ? copySession(session) : null
  }

  async revokeByTokenHash (hash: string, now: Date, graceSince?: Date): Promise<SessionRecord | null> {
    let session = this.#sessions.get(this.#byToken.get(hash) ?? '')
    if (session === undefined && graceSince !== undefined) {
      const previous = this.#sessions.get(this.#byPrevious.get(hash) ?? '')
      if (previous?.grace?.hash === hash && previous.grace.retiredAt > graceSince) session = previous
    }
    if (session === undefined || !isLive(session, now)) return null
    this.#revoke(session, now)
    return copySession(session)
  }

  #revoke (session: SessionRecord, now: Date): void {
    session.revokedAt = new Date(now.getTime())
    session.grace = null
  }

  async revokeFamily (familyId: string, now: Date): Promise<string[]> {
    return this.#revokeWhere((session) => session.familyId === familyId, now)
  }

  async revokeUserSession (userId: string, id: string, now: Date): Promise<{ found: boolean, revoked: boolean }> {
    const session = this.#sessions.get(id)
    if (session?.userId !== userId) return { found: false, revoked: false }
    if (session.revokedAt !== null) return { found: true, revoked: false }
    this.#revoke(session, now)
    return { found: true, revoked: true }
  }

  async revokeUserSessions (userId: string, now: Date, exceptId?: string): Promise<string[]> {
    return this.#revokeWhere((session) => session.userId === userId && session.id !== exceptId, now)
  }

  #revokeWhere (match: (session: SessionRecord) => boolean, now: Date): string[] {
    const ids: string[] = []
    for (const session of this.#sessions.values()) {
      if (session.revokedAt === null && match(session)) {
        this.#revoke(session, now)
        ids.push(session.id)
      }
    }
    return ids
  }

  async listUserSessions (userId: string, now: Date, idleSince: Date, page?: SessionPage): Promise<SessionRecord[]> {
    const after = page?.after
    return [...this.#sessions.values()]
      .filter((session) => session.userId === userId && isLive(session, now, idleSince))
      .filter((session) => after === undefined || comesAfter(session, after))
      .sort(newestFirst)
      .slice(0, page?.limit ?? Number.POSITIVE_INFINITY)
      .map((session) => copySession(session))
  }

  async clearGrace (id: string, hash: string): Promise<void> {
    const session = this.#sessions.get(id)
    if (session?.grace?.hash === hash) session.grace = null
  }

  async revokeSubject (issuer: string, sub: string, now: Date): Promise<void> {
    const keepSince = now.getTime() - SUBJECT_TOMBSTONE_RETENTION_MS
    for (const [id, revokedAt] of this.#subjectRevocations) {
      if (revokedAt.getTime() >= keepSince) break
      this.#subjectRevocations.delete(id)
    }
    const id = subjectRevocationId(issuer, sub, now)
    // Like the database's unique _id: a duplicate (a retry, a second logout-all within the second) is ignored.
    if (!this.#subjectRevocations.has(id)) this.#subjectRevocations.set(id, now)
  }

  #subjectsRevokedSince (since: Date): Array<{ id: string, revokedAt: Date }> {
    const revoked: Array<{ id: string, revokedAt: Date }> = []
    for (const [id, revokedAt] of this.#subjectRevocations) if (revokedAt >= since) revoked.push({ id, revokedAt })
    return revoked
  }

  async listSubjectRevokedSince (since: Date, limit = Number.POSITIVE_INFINITY): Promise<Array<{ id: string, revokedAt: Date }>> {
    return this.#subjectsRevokedSince(since).sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime()).slice(0, limit)
  }

  async listRevokedSince (since: Date, limit = Number.POSITIVE_INFINITY): Promise<Array<{ id: string, revokedAt: Date }>> {
    // The private reader, not listSubjectRevokedSince: the two reads stay independent, so wrapping one (a slow subject
    // backfill) cannot hold up the other (the session reads a starting instance waits for).
    const revoked = this.#subjectsRevokedSince(since)
    for (const session of this.#sessions.values()) {
      if (session.revokedAt !== null && session.revokedAt >= since) revoked.push({ id: session.id, revokedAt: new Date(session.revokedAt.getTime()) })
    }
    return revoked.sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime()).slice(0, limit)
  }

  async recordDevice (seen: DeviceSeen): Promise<{ isNew: boolean }> {
    const key = `${seen.userId}\u0000${seen.deviceId}`
    const device = this.#devices.get(key)
    if (device !== undefined) {
      device.lastSeenAt = seen.now
      device.lastIp = seen.ip
      device.userAgent = seen.userAgent
      return { isNew: false }
    }
    // A device recorded under its cookie value (before ids were opaque): rewritten to the opaque id.
    const legacyKey = seen.legacyDeviceId === undefined ? undefined : `${seen.userId}\u0000${seen.legacyDeviceId}`
    const legacy = legacyKey === undefined ? undefined : this.#devices.get(legacyKey)
    if (legacyKey !== undefined) this.#devices.delete(legacyKey)
    this.#devices.set(key, {
      userId: seen.userId, deviceId: seen.deviceId, userAgent: seen.userAgent, firstSeenAt: legacy?.firstSeenAt ?? seen.now, lastSeenAt: seen.now, lastIp: seen.ip
    })
    return { isNew: legacy === undefined }
  }

  async listDevices (userId: string): Promise<DeviceRecord[]> {
    return [...this.#devices.values()].filter((device) => device.userId === userId).map((device) => structuredClone(device))
  }

  async recordNetwork (seen: NetworkSighting): Promise<NetworkVerdict> {
    const { next, verdict } = applySighting(this.#networks.get(seen.userId) ?? null, seen)
    this.#networks.set(seen.userId, copyNetworks(next))
    return verdict
  }

  async findNetworks (userId: string): Promise<UserNetworks | null> {
    const record = this.#networks.get(userId)
    return record === undefined ? null : copyNetworks(record)
  }

  /** Bounded (memory-audit.ts): the oldest rows go first. */
  readonly #audit = new MemoryAuditTrail()
  async insertAudit (rows: AuditRecord[]): Promise<void> { await this.#audit.insertAudit(rows) }
  async listAudit (query: AuditListQuery): Promise<AuditRecord[]> { return this.#audit.listAudit(query) }
}
