// The authgate user behind an external identity: by (provider, sub) only. A first sign-in links to an existing
// account by email only when the provider says the email is verified AND `linkByVerifiedEmail` is on AND that
// account has no password AND that provider has bound no other subject to it (see joinable); otherwise it gets a
// new account without a password. An unverified email is never stored as the account's email either: it would
// take the address from its real owner (registration would answer "taken").
import { randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import { parseEmail } from '../stores/email-identity.js'
import type { OidcStore } from '../stores/oidc.js'
import type { SessionStore, UserRecord } from '../stores/store.js'
import { findUserByEmail } from '../users/add-user.js'
import { presentEmail } from '../stores/user-email.js'
import { readPath } from '../tokens/trusted-issuers/external-claims.js'
import type { SessionUser } from '../sessions/service.js'
import type { IdentityClaims } from './provider-client.js'
import type { NormalisedOidcProvider } from './options.js'

export interface LinkContext {
  store: SessionStore
  identities: OidcStore
  linkByVerifiedEmail: boolean
  defaultRoles: readonly string[]
}

/** The email the provider vouches for (verified exactly `true`, and a valid address), or undefined. */
export function verifiedEmail (claims: IdentityClaims, provider: NormalisedOidcProvider): { email: string, key: string } | undefined {
  if (readPath(claims, provider.claims.emailVerified) !== true) return undefined
  const email = readPath(claims, provider.claims.email)
  if (typeof email !== 'string') return undefined
  try {
    return parseEmail(email)
  } catch {
    return undefined
  }
}

/**
 * The account a provider-verified email may sign in to, or null. Never one with a password: authgate does not verify
 * the emails given at registration, so whoever registered it may not own the address, and joining it would hand the
 * owner's sign-in to an account its registrant can still enter by password (account pre-hijacking). An account
 * without a password was made by a sign-in whose provider verified its email: that one is the owner's, unless this
 * same provider has bound it to another subject. Then the address has changed hands at the provider (recycled to a
 * new employee, a re-registered mailbox): the provider vouches that the new subject holds the address now, not that
 * it is the person the account belongs to, and only a subject, never an email, names a person at one provider.
 */
async function joinable (context: LinkContext, provider: string, subject: string, email: string): Promise<UserRecord | null> {
  const user = await findUserByEmail(context.store, email)
  if (user === null || user.passwordHash !== undefined) return null
  return await context.identities.hasIdentity(provider, user.id, subject) ? null : user
}

/**
 * The identity key of a user without an email: never an address (no `@`), so it cannot collide with one; by the
 * user id, so a new account of an identity whose link was removed never collides with the old account's key.
 */
function placeholderKey (provider: string, userId: string): string {
  return `oidc:${provider}:${userId}`
}

/**
 * A link younger than this whose user is missing belongs to a first sign-in that is creating that user right now
 * (links are written first, below): it is waited for, never created by anyone else. An older one lost its user:
 * the user was deleted and its links were not (OidcStore.unlinkUser).
 */
const LINK_SETTLE_MS = 60_000
const SETTLE_POLLS = 10
const SETTLE_POLL_MS = 100

export async function userForIdentity (context: LinkContext, provider: NormalisedOidcProvider, claims: IdentityClaims): Promise<SessionUser> {
  const { store, identities } = context
  const subject = claims.sub
  const linked = await identities.findIdentity(provider.name, subject)
  if (linked !== null) {
    const user = await store.findUserById(linked.userId) ??
      (Date.now() - linked.createdAt.getTime() < LINK_SETTLE_MS ? await settled(store, linked.userId) : null)
    if (user !== null) return sessionUser(user)
    // A deleted user is never brought back under its old id (its roles, sessions and records elsewhere stay
    // its own): the stale link goes (only if it still names that user) and this sign-in is a first one.
    await identities.unlinkIdentity(provider.name, subject, linked.userId)
  }
  return sessionUser(await firstSignIn(context, provider, subject, verifiedEmail(claims, provider)))
}

async function firstSignIn (context: LinkContext, provider: NormalisedOidcProvider, subject: string, email: { email: string, key: string } | undefined): Promise<UserRecord> {
  const { store, identities } = context
  const candidate = email !== undefined && context.linkByVerifiedEmail ? await joinable(context, provider.name, subject, email.email) : null
  // Arbitrated BEFORE any link exists: two subjects of one provider joining the same account at once both passed
  // joinable; only the claim's winner links to it, a loser gets an account of its own. A link to the account is
  // therefore never made and then withdrawn, so no parallel callback can find one and get a session there. Several
  // callbacks of the same subject all win (the claim names the subject) and race for the link below as one.
  const existing = candidate !== null && await identities.claimJoin(provider.name, candidate.id, subject, new Date()) ? candidate : null
  const userId = existing?.id ?? randomUUID()
  // Linked before the user is created: of two first sign-ins of one subject racing, one link wins, only its request
  // creates the user, and the other waits for that user.
  if (!await identities.linkIdentity({ provider: provider.name, subject, userId, createdAt: new Date() })) {
    const winner = await identities.findIdentity(provider.name, subject)
    if (winner === null) throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5, cause: new Error('identity link vanished') })
    return await store.findUserById(winner.userId) ?? await settled(store, winner.userId)
  }
  if (existing !== null) return await verified(store, existing, email)
  try {
    return await createUser(context, userId, provider.name, email)
  } catch (error) {
    // A write that landed but whose answer was lost (a timeout) made the user after all: keep the link and use it.
    const made = await store.findUserById(userId).catch(() => null)
    if (made !== null) return made
    // No link may outlive a user that was never made: the next sign-in would wait for it in vain.
    await identities.unlinkIdentity(provider.name, subject, userId).catch(() => false)
    throw error
  }
}

/** The joined account, its email marked verified: the provider vouched for that very address. */
async function verified (store: SessionStore, user: UserRecord, email: { email: string, key: string } | undefined): Promise<UserRecord> {
  if (user.emailVerified === true || email === undefined || user.emailNormalized !== email.key || store.setEmailVerified === undefined) return user
  return await store.setEmailVerified(user.id, email.key, new Date()) ? { ...user, emailVerified: true } : user
}

/** The user a racing first sign-in is creating; 503 when it does not appear within about a second. */
async function settled (store: SessionStore, id: string): Promise<UserRecord> {
  for (let poll = 0; poll < SETTLE_POLLS; poll++) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS))
    const user = await store.findUserById(id)
    if (user !== null) return user
  }
  throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5, cause: new Error('the linked user does not exist (yet)') })
}

function sessionUser (user: UserRecord): SessionUser {
  // The provider vouched for the person: an admin's disable still stands.
  if (user.disabled === true) throw new AuthError('AUTH_USER_DISABLED')
  return { id: user.id, email: presentEmail(user.email), roles: user.roles, emailVerified: user.emailVerified === true }
}

async function createUser (context: LinkContext, id: string, provider: string, email: { email: string, key: string } | undefined): Promise<UserRecord> {
  const { store } = context
  const roles = [...context.defaultRoles]
  try {
    return await store.createUser(email === undefined
      ? { id, email: '', emailNormalized: placeholderKey(provider, id), roles }
      // The provider vouched for this very address: it is verified, as a followed verification link would make it.
      : { id, email: email.email, emailNormalized: email.key, roles, emailVerified: true })
  } catch (error) {
    // The verified email belongs to another account (linking off, or a password account): this account goes
    // without an email rather than taking someone else's.
    if (!(error instanceof AuthError) || error.code !== 'AUTH_EMAIL_TAKEN' || email === undefined) throw error
    return store.createUser({ id, email: '', emailNormalized: placeholderKey(provider, id), roles })
  }
}
