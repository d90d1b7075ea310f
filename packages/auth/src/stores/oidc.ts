// The storage contract of OIDC sign-in (oidc.providers): which external identity is which user, and the short-lived
// login states between the redirect to a provider and its callback. An optional capability of a SessionStore
// (`oidcStore()`), as the key ring is: both built-in stores have it; a custom store without it cannot enable OIDC.
//
// Identities are keyed by (provider, subject) and nothing else: an email is never an identity key here (an
// unverified email would let anyone who can type it into the provider's profile take the account).

/** One external account linked to one authgate user. */
export interface ExternalIdentity {
  /** The configured provider name (oidc.providers[].name). */
  provider: string
  /** The provider's `sub`: stable and unique per provider (OIDC Core §2). */
  subject: string
  userId: string
  createdAt: Date
}

/** What a callback needs to finish one sign-in. Taken (read and deleted) exactly once. */
export interface LoginStateRecord {
  /** SHA-256 (hex) of the `state` parameter: the parameter itself is never stored. */
  id: string
  provider: string
  /** SHA-256 (hex) of the browser-binding cookie set with the redirect: a callback from another browser fails. */
  bindingHash: string
  nonce: string
  /** The PKCE verifier: useless without the code, which only the provider's redirect carries. */
  codeVerifier: string
  /** The redirect_uri sent to the provider: the code exchange must repeat it exactly. */
  redirectUri: string
  /** Already checked against the open-redirect rules when the login began. */
  returnTo: string
  /** Whose sign-in it is (stateBucket of the client address): a cap per client keeps one from filling the store. */
  client: string
  /** The client's network (stateNetwork: IPv4 /24, IPv6 /48): a wider cap, so its many addresses cannot fill it either. */
  network: string
  expiresAt: Date
}

/**
 * What saveLoginState did: stored, or refused because the store (`full`), this client (`client-full`) or its network
 * (`network-full`) is at its cap.
 */
export type SaveStateResult = 'saved' | 'full' | 'client-full' | 'network-full'

/** Caps on live (unexpired) login states. Expired ones never count and are never handed out. */
export interface LoginStateLimits {
  total: number
  perClient: number
  perNetwork: number
}

/** A client's pending sign-ins: more than a page of tabs, far fewer than a flood. */
export const DEFAULT_STATES_PER_CLIENT = 32
/** A network's (IPv4 /24, IPv6 /48): a busy office behind a few addresses; filling a store takes 157 (memory) or 1563 (MongoDB) networks. */
export const DEFAULT_STATES_PER_NETWORK = 64

export interface OidcStore {
  /**
   * Prepares the store (MongoDB: its indexes), idempotent; the plugin calls it at start-up. No result depends on it:
   * a failure is retried later, never by every call.
   */
  init (): Promise<void>
  findIdentity (provider: string, subject: string): Promise<ExternalIdentity | null>
  /** Inserts the link. Resolves false when (provider, subject) is linked already (a concurrent first sign-in). */
  linkIdentity (identity: ExternalIdentity): Promise<boolean>
  /**
   * Removes the link of (provider, subject) if it still names `userId` (a link another request has since replaced is
   * kept). True when removed. The next sign-in of that identity is a first one: a new account.
   */
  unlinkIdentity (provider: string, subject: string, userId: string): Promise<boolean>
  /**
   * Whether `userId` is linked to an identity of `provider` (other than `exceptSubject`, when given). A provider's
   * verified email joins an existing account only when that provider has bound no other subject to it: providers
   * recycle addresses (a leaver's mailbox given to a new employee), and the address then proves nothing about the
   * account its earlier holder made.
   */
  hasIdentity (provider: string, userId: string, exceptSubject?: string): Promise<boolean>
  /**
   * Arbitrates first sign-ins of `provider` that join the existing account `userId` at the same time, BEFORE any of
   * them links: true when the claim is `subject`'s (made now, already this subject's, or taken over from one that
   * expired at `now`), false when a live claim is another subject's. Atomic: of subjects claiming at once exactly one
   * gets true. A claim expires JOIN_CLAIM_MS after it was made: it only settles joins racing each other; a join that
   * came earlier and stands is found by hasIdentity, and a winner that crashed before linking keeps its claim on its
   * next sign-in (same subject) and blocks no other subject for longer than the expiry. A store that cannot decide
   * rejects (AUTH_STORE_UNAVAILABLE): false would give the subject an account of its own for good.
   */
  claimJoin (provider: string, userId: string, subject: string, now: Date): Promise<boolean>
  /**
   * Removes every link of the user: call it when deleting a user. Resolves how many were removed. (A link left
   * behind is dropped at its identity's next sign-in, which then makes a new account; the old id never returns.)
   */
  unlinkUser (userId: string): Promise<number>
  /**
   * Stores the state unless `limits` are reached by live states at `now`. A full store refuses new sign-ins rather
   * than evict live ones: evicting would let anyone who starts sign-ins cancel everyone else's.
   */
  saveLoginState (state: LoginStateRecord, now: Date): Promise<SaveStateResult>
  /**
   * Removes the state `id` and returns it, in one atomic step: of two callbacks presenting the same state, one gets
   * it and the other null. Null also when it is unknown or expired at `now` (an expired state is removed too).
   */
  takeLoginState (id: string, now: Date): Promise<LoginStateRecord | null>
}

/** A SessionStore that can also hold OIDC identities and login states (MongoSessionStore, MemorySessionStore). */
export interface OidcCapable {
  oidcStore (): OidcStore
}

export function hasOidcStore (value: unknown): value is OidcCapable {
  return typeof value === 'object' && value !== null && typeof (value as Partial<OidcCapable>).oidcStore === 'function'
}

/**
 * How long a join claim arbitrates. Far longer than the one store call between a join's hasIdentity check and its
 * claim (bounded by the store's deadline), so a claim never expires under a racer that read "no binding" before it.
 */
export const JOIN_CLAIM_MS = 10 * 60_000

/**
 * The key of a join claim (MongoDB: its documents' `key`). Provider names are `[a-z0-9-]`, so the first `:` after
 * `join:` ends the provider and the rest is the user id, whatever it contains (`:` included): keys cannot collide.
 * No NUL: FerretDB v1 on PostgreSQL refuses it in strings.
 */
export function joinClaimKey (provider: string, userId: string): string {
  return `join:${provider}:${userId}`
}

/** Login states a memory store keeps at most: a flood of /login requests cannot grow it without bound. */
const MAX_MEMORY_STATES = 10_000

/** One process only. Records are copied in and out. */
export class MemoryOidcStore implements OidcStore {
  readonly #identities = new Map<string, ExternalIdentity>()
  readonly #states = new Map<string, LoginStateRecord>()
  /** Join claims by joinClaimKey: one per account a provider's subject joined recently (expired ones replaced). */
  readonly #joins = new Map<string, { subject: string, expiresAt: number }>()
  readonly #limits: LoginStateLimits

  constructor (limits: Partial<LoginStateLimits> = {}) {
    this.#limits = {
      total: limits.total ?? MAX_MEMORY_STATES,
      perClient: limits.perClient ?? DEFAULT_STATES_PER_CLIENT,
      perNetwork: limits.perNetwork ?? DEFAULT_STATES_PER_NETWORK
    }
  }

  init (): Promise<void> {
    return Promise.resolve()
  }

  findIdentity (provider: string, subject: string): Promise<ExternalIdentity | null> {
    const found = this.#identities.get(identityKey(provider, subject))
    return Promise.resolve(found === undefined ? null : structuredClone(found))
  }

  linkIdentity (identity: ExternalIdentity): Promise<boolean> {
    const key = identityKey(identity.provider, identity.subject)
    if (this.#identities.has(key)) return Promise.resolve(false)
    this.#identities.set(key, structuredClone(identity))
    return Promise.resolve(true)
  }

  unlinkIdentity (provider: string, subject: string, userId: string): Promise<boolean> {
    const key = identityKey(provider, subject)
    if (this.#identities.get(key)?.userId !== userId) return Promise.resolve(false)
    this.#identities.delete(key)
    return Promise.resolve(true)
  }

  hasIdentity (provider: string, userId: string, exceptSubject?: string): Promise<boolean> {
    for (const identity of this.#identities.values()) {
      if (identity.userId === userId && identity.provider === provider && identity.subject !== exceptSubject) return Promise.resolve(true)
    }
    return Promise.resolve(false)
  }

  claimJoin (provider: string, userId: string, subject: string, now: Date): Promise<boolean> {
    const key = joinClaimKey(provider, userId)
    const claim = this.#joins.get(key)
    if (claim !== undefined && claim.expiresAt > now.getTime()) return Promise.resolve(claim.subject === subject)
    if (this.#joins.size >= MAX_MEMORY_STATES) this.#evictExpiredJoins(now)
    this.#joins.set(key, { subject, expiresAt: now.getTime() + JOIN_CLAIM_MS })
    return Promise.resolve(true)
  }

  unlinkUser (userId: string): Promise<number> {
    let removed = 0
    for (const [key, identity] of this.#identities) {
      if (identity.userId !== userId) continue
      this.#identities.delete(key)
      removed++
    }
    return Promise.resolve(removed)
  }

  saveLoginState (state: LoginStateRecord, now: Date): Promise<SaveStateResult> {
    if (this.#states.size >= this.#limits.total) this.#evictExpired(now)
    if (this.#states.size >= this.#limits.total) return Promise.resolve('full')
    let mine = 0
    let network = 0
    for (const other of this.#states.values()) {
      if (other.expiresAt <= now) continue
      if (other.client === state.client) mine++
      if (other.network === state.network) network++
    }
    if (mine >= this.#limits.perClient) return Promise.resolve('client-full')
    if (network >= this.#limits.perNetwork) return Promise.resolve('network-full')
    this.#states.set(state.id, structuredClone(state))
    return Promise.resolve('saved')
  }

  takeLoginState (id: string, now: Date): Promise<LoginStateRecord | null> {
    const state = this.#states.get(id)
    this.#states.delete(id)
    return Promise.resolve(state === undefined || state.expiresAt <= now ? null : state)
  }

  #evictExpiredJoins (now: Date): void {
    for (const [key, claim] of this.#joins) if (claim.expiresAt <= now.getTime()) this.#joins.delete(key)
  }

  #evictExpired (now: Date): void {
    for (const [id, state] of this.#states) if (state.expiresAt <= now) this.#states.delete(id)
  }
}

/** Provider names are `[a-z0-9-]`: the first `:` separates them from the subject unambiguously. */
export function identityKey (provider: string, subject: string): string {
  return `${provider}:${subject}`
}
