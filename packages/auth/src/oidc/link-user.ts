// The authgate user behind an external identity: by (provider, sub) only. A first sign-in links to an existing
// account by email only when the provider says the email is verified AND `linkByVerifiedEmail` is on AND that
// account has no password (see linkable); otherwise it gets a new account without a password. An unverified email is never stored as the account's email either: it would
// take the address from its real owner (registration would answer "taken").
import { createHash, randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import { parseEmail } from '../stores/email-identity.js'
import type { OidcStore } from '../stores/oidc.js'
import type { SessionStore, UserRecord } from '../stores/store.js'
import { findUserByEmail } from '../stores/users.js'
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
 * without a password was made by a sign-in whose provider verified its email: that one is the owner's.
 */
function linkable (user: UserRecord | null): UserRecord | null {
  return user !== null && user.passwordHash === undefined ? user : null
}

/** The identity key of a user without an email: never an address (no `@`), so it cannot collide with one. */
function placeholderKey (provider: string, subject: string): string {
  return `oidc:${provider}:${createHash('sha256').update(subject).digest('base64url')}`
}

export async function userForIdentity (context: LinkContext, provider: NormalisedOidcProvider, claims: IdentityClaims): Promise<SessionUser> {
  const { store, identities } = context
  const subject = claims.sub
  const email = verifiedEmail(claims, provider)
  let linked = await identities.findIdentity(provider.name, subject)
  if (linked === null) {
    const existing = email !== undefined && context.linkByVerifiedEmail ? linkable(await findUserByEmail(store, email.email)) : null
    const userId = existing?.id ?? randomUUID()
    // Linked before the user is created: of two first sign-ins racing, one link wins and both end on its user.
    if (!await identities.linkIdentity({ provider: provider.name, subject, userId, createdAt: new Date() })) {
      linked = await identities.findIdentity(provider.name, subject)
      if (linked === null) throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5, cause: new Error('identity link vanished') })
    } else {
      linked = { provider: provider.name, subject, userId, createdAt: new Date() }
    }
  }
  const user = await store.findUserById(linked.userId) ?? await createUser(context, linked.userId, provider.name, subject, email)
  return { id: user.id, email: presentEmail(user.email), roles: user.roles }
}

async function createUser (context: LinkContext, id: string, provider: string, subject: string, email: { email: string, key: string } | undefined): Promise<UserRecord> {
  const { store } = context
  const roles = [...context.defaultRoles]
  try {
    return await store.createUser(email === undefined
      ? { id, email: '', emailNormalized: placeholderKey(provider, subject), roles }
      : { id, email: email.email, emailNormalized: email.key, roles })
  } catch (error) {
    if (!(error instanceof AuthError) || error.code !== 'AUTH_EMAIL_TAKEN') throw error
    // A concurrent first sign-in created it, or the verified email belongs to another account (linking off):
    // then this account goes without an email rather than taking someone else's.
    const raced = await store.findUserById(id)
    if (raced !== null) return raced
    if (email === undefined) throw error
    return store.createUser({ id, email: '', emailNormalized: placeholderKey(provider, subject), roles })
  }
}
