// The storage contract of the session half: users, refresh sessions and devices. Two implementations (MongoDB and
// in-memory) pass one contract suite (testing/store-contract.ts). Every method is async and, for the MongoDB store,
// fails with AuthError AUTH_STORE_UNAVAILABLE (cause: the driver error) when the database cannot answer.
//
// Correctness never depends on TTL expiry: every query that could return an expired session filters on
// `expiresAt` (absolute lifetime) and `lastUsedAt` (idle timeout) itself.
import type { RevocationSource } from '../tokens/types.js'
import type { NetworkSighting, NetworkVerdict, UserNetworks } from './ip-memory.js'
import type { AuditListQuery, AuditRecord } from './audit-records.js'

/** A user of the built-in users collection (never handed out by the plugin's routes: it holds the password hash). */
export interface UserRecord {
  id: string
  /** As given at registration (trimmed, NFKC). */
  email: string
  /** The identity key (stores/email-identity.ts: NFKC, case folded), unique: the lookup key. */
  emailNormalized: string
  /** PHC string ($argon2id$…); absent for users whose credentials are checked elsewhere. */
  passwordHash?: string
  roles: string[]
  /** Set once the user followed an email verification link; absent means false. */
  emailVerified?: boolean
  /** Set by an admin (PATCH /auth/admin/users/:id, `authgate user disable`): login and refresh are refused. Absent: false. */
  disabled?: boolean
  createdAt: Date
  updatedAt: Date
}

/** What `createUser` takes: a UserRecord whose timestamps the store may fill. */
export type NewUser = Omit<UserRecord, 'createdAt' | 'updatedAt'> & { createdAt?: Date }

/**
 * The successor handed back to a request presenting the token retired last, within the grace window.
 * `sealed` is the successor encrypted under a key derived from the retired token (see sessions/successor.ts).
 */
export interface GraceEntry {
  /** SHA-256 hex of the retired token. */
  hash: string
  retiredAt: Date
  sealed: string
}

/** One login on one device (docs/design.md#token-model). A session is its own refresh family. */
export interface SessionRecord {
  id: string
  userId: string
  familyId: string
  /** SHA-256 hex of the current refresh token. The token itself is never stored. */
  tokenHash: string
  /** Hashes of retired tokens of this family, newest last (bounded): presenting one again is reuse. */
  previousHashes: string[]
  grace: GraceEntry | null
  /** Roles at login: used when the user is not in the users collection (`verifyCredentials`). */
  roles: string[]
  email: string | null
  device: string | null
  ip: string
  userAgent: string
  createdAt: Date
  lastUsedAt: Date
  /** Absolute end of the session (refreshTtl after login). */
  expiresAt: Date
  revokedAt: Date | null
}

/** What `createSession` takes: a SessionRecord before any rotation or revocation. */
export type NewSession = Omit<SessionRecord, 'previousHashes' | 'grace' | 'revokedAt'>

export interface RotateInput {
  currentHash: string
  nextHash: string
  now: Date
  /** Sessions not used since this instant are idle-expired and do not rotate. */
  idleSince: Date
  grace: GraceEntry
  ip: string
  userAgent: string
}

/** A device a user signed in from (by its opaque id): what `newDevice` notifications are decided on. */
export interface DeviceRecord {
  userId: string
  deviceId: string
  userAgent: string
  firstSeenAt: Date
  lastSeenAt: Date
  lastIp: string
}

export interface DeviceSeen {
  userId: string
  deviceId: string
  /**
   * The id this device had before device ids were opaque: the device cookie's value itself. A device the store
   * knows only under it is the same device: its record is rewritten to `deviceId` and it is not new. TODO(next-major):
   * drop once no record is keyed by a cookie value. Stores that ignore it report such a device new once.
   */
  legacyDeviceId?: string
  userAgent: string
  ip: string
  now: Date
}

/** A page of a session list: the position is the last session of the previous page. */
export interface SessionPage {
  limit: number
  after?: { createdAt: Date, id: string }
}

/** What a one-time token may be used for: a reset token can never verify an email, and the reverse. */
export type OneTimePurpose = 'passwordReset' | 'emailVerification'

/** A password-reset or email-verification token, by the SHA-256 hex of its value (the value is never stored). */
export interface OneTimeTokenRecord {
  hash: string
  purpose: OneTimePurpose
  userId: string
  /** The user's emailNormalized when the token was issued: a token for an address the user no longer has is void. */
  email: string
  createdAt: Date
  expiresAt: Date
}

/**
 * A page of the user list (admin API): newest first by (createdAt, id), both descending, a total order, so pages
 * never skip or repeat a user. `emailContains`: only users whose identity key (emailNormalized) contains it, given
 * already folded like the key (stores/email-identity.ts).
 */
export interface UserPage {
  limit: number
  after?: { createdAt: Date, id: string }
  emailContains?: string
}

/** How many retired hashes a session remembers for reuse detection; older ones just read as unknown. */
export const MAX_PREVIOUS_HASHES = 100

/**
 * Where users, refresh sessions, devices and revocations live: MemorySessionStore, MongoSessionStore, or one of your
 * own (the full record types are in `@authgate/fastify/stores`; prove it with `@authgate/fastify/testing`). Every
 * method rejects with AuthError AUTH_STORE_UNAVAILABLE when the backing database cannot answer.
 */
export interface SessionStore extends RevocationSource {
  /** Creates indexes (idempotent). Safe to call again after a failure. */
  init (): Promise<void>
  /** Resolves when the store answers, else rejects with AuthError AUTH_STORE_UNAVAILABLE. */
  ping (): Promise<void>
  close (): Promise<void>

  /** Rejects with AuthError AUTH_EMAIL_TAKEN when `emailNormalized` is taken. */
  createUser (user: NewUser): Promise<UserRecord>
  findUserByEmail (emailNormalized: string): Promise<UserRecord | null>
  findUserById (id: string): Promise<UserRecord | null>
  /** Replaces the user's roles (they reach access tokens at the next refresh). False when there is no such user. */
  setUserRoles (id: string, roles: string[]): Promise<boolean>
  /**
   * The admin methods below are optional so that stores written before them still work without the admin API: the
   * plugin refuses to register with `admin` given and a store lacking any of them (admin/store-support.ts), and
   * leaves the admin routes out (saying so) when `admin` is defaulted.
   */
  /** One page of users in UserPage's order (at most `page.limit`). */
  listUsers? (page: UserPage): Promise<UserRecord[]>
  /** Sets or lifts `disabled` (and updatedAt). False when there is no such user. */
  setUserDisabled? (id: string, disabled: boolean, now: Date): Promise<boolean>
  /** Replaces the password hash (and updatedAt). False when there is no such user. */
  setUserPassword? (id: string, passwordHash: string, now: Date): Promise<boolean>
  /**
   * Removes the user and the records kept for them (devices, networks). Sessions are revoked by the caller first
   * (revokeUserSessions), so revocations reach every instance. False when there was no such user.
   */
  deleteUser? (id: string): Promise<boolean>

  createSession (session: NewSession): Promise<SessionRecord>
  /**
   * The rotation compare-and-swap: ONE atomic conditional update of the session whose current token is
   * `currentHash`, not revoked, not expired, not idle. Returns the updated session, or null when no session
   * matched (another request rotated first, or the token is retired, revoked, expired or unknown).
   */
  rotateSession (input: RotateInput): Promise<SessionRecord | null>
  /** The live session (not revoked, not expired, not idle since `idleSince`) whose current token is `hash`. */
  findByTokenHash (hash: string, now: Date, idleSince: Date): Promise<SessionRecord | null>
  /** The session that once held `hash` (retired), whatever its state: the caller classifies. */
  findByPreviousHash (hash: string): Promise<SessionRecord | null>
  /** A live session (not revoked, not expired, not idle since `idleSince`) by id. */
  findActiveSession (id: string, now: Date, idleSince: Date): Promise<SessionRecord | null>
  /**
   * Revokes the live session holding `hash` as current token or as its grace entry retired after `graceSince`
   * (the grace window; no grace match when absent). Returns the session, or null.
   */
  revokeByTokenHash (hash: string, now: Date, graceSince?: Date): Promise<SessionRecord | null>
  /** Revokes every session of the family (reuse). Returns the ids newly revoked. */
  revokeFamily (familyId: string, now: Date): Promise<string[]>
  /**
   * Revokes session `id` if it belongs to `userId`. `found` is false when no such session of that user exists;
   * `revoked` is false when it was already revoked.
   */
  revokeUserSession (userId: string, id: string, now: Date): Promise<{ found: boolean, revoked: boolean }>
  /**
   * Revokes every token of the external user (`issuer`, `sub`) issued at or before `now` (tokens/subject-revocation.ts):
   * tokens of trusted issuers have no session to revoke. Written where listRevokedSince reads, as a tombstone whose
   * id is subjectRevocationId(issuer, sub, now), so every instance learns it within the revocation delay. Optional:
   * a store without it cannot revoke external tokens across instances (logout-all then revokes them on this
   * instance only, and says so in the log).
   */
  revokeSubject? (issuer: string, sub: string, now: Date): Promise<void>
  /** Revokes every live session of the user except `exceptId`. Returns the ids newly revoked. */
  revokeUserSessions (userId: string, now: Date, exceptId?: string): Promise<string[]>
  /**
   * Live sessions of the user, newest first (createdAt, then id, both descending: a total order, so pages never
   * skip or repeat a session). With `page`: at most `page.limit`, only those after `page.after` in that order.
   * Paging here is an optimisation: the session service applies `page` again to whatever is returned, so a store
   * that ignores it (written before it existed) stays correct, only slower.
   */
  listUserSessions (userId: string, now: Date, idleSince: Date, page?: SessionPage): Promise<SessionRecord[]>
  /** Drops the sealed successor once the grace window is over (housekeeping; reads check the time anyway). */
  clearGrace (id: string, hash: string): Promise<void>

  /** Records a sighting of a device; `isNew` when the device was unknown for that user. */
  recordDevice (seen: DeviceSeen): Promise<{ isNew: boolean }>
  listDevices (userId: string): Promise<DeviceRecord[]>

  /**
   * Records that the user was seen in `seen.network` and says whether that is news (stores/ip-memory.ts decides,
   * applySighting). The record per user stays within `seen.maxNetworks`. Optional: without it the plugin emits no
   * `newIp` (said once at start-up). Called off the request path; a failure is logged, never answered.
   */
  recordNetwork? (seen: NetworkSighting): Promise<NetworkVerdict>
  /** The user's stored record, as is (tests, diagnostics). */
  findNetworks? (userId: string): Promise<UserNetworks | null>

  /**
   * Password reset and email verification (http/routes/recovery.ts). Optional so that stores written before them still
   * work: over a store lacking any of them the routes are left out (with a warning), and registration fails only when
   * `mail` or `auth.requireVerifiedEmail` asks for them (setup/recovery.ts).
   */
  /** (setUserPassword, above, is one of them too.) Marks the user's email verified when it is still `emailNormalized`. False when no such user has that email. */
  setEmailVerified? (id: string, emailNormalized: string, now: Date): Promise<boolean>
  createOneTimeToken? (token: OneTimeTokenRecord): Promise<void>
  /**
   * Takes the live token (`expiresAt` after `now`) of `hash` for `purpose` and deletes it in ONE atomic step: of
   * two concurrent calls with one hash at most one gets the record. Null when none matched.
   */
  consumeOneTimeToken? (hash: string, purpose: OneTimePurpose, now: Date): Promise<OneTimeTokenRecord | null>
  /** Deletes every token of the user for `purpose` (a reset voids the other outstanding resets). Returns how many. */
  deleteOneTimeTokens? (userId: string, purpose: OneTimePurpose): Promise<number>

  /**
   * The audit trail (audit/): appends a batch of rows. Optional, with listAudit: a store without both keeps no trail
   * (said once at start-up). Called off the request path, in batches; a failure is logged (throttled), never answered.
   */
  insertAudit? (rows: AuditRecord[]): Promise<void>
  /** Rows newest first (`at`, then `id`, both descending), filtered, never one past its `expiresAt`. */
  listAudit? (query: AuditListQuery): Promise<AuditRecord[]>
}

/** The store methods the account-recovery routes need. */
export const RECOVERY_STORE_METHODS = ['setUserPassword', 'setEmailVerified', 'createOneTimeToken', 'consumeOneTimeToken', 'deleteOneTimeTokens'] as const
