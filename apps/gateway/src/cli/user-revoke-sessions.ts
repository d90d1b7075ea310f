// `authgate user revoke-sessions --id ID --config FILE`: ends every session of a user (a legacy account taken over,
// an employee gone) from outside the running gateways. The sessions are revoked in the shared store, so each running
// instance learns it at its next revocation poll: refresh answers 401 at once and access tokens within
// tokens.revocationDelay, as for logout-all.
import { adminActionEvent, normaliseEmail } from '@authgate/fastify/admin'
import { createStore } from '@authgate/fastify/stores'
import { isAuthError, type SessionStore, type StoreOption } from '@authgate/fastify'
import { loadConfig } from '../config.js'
import { MISSING_CONFIG, UsageError, flag, out, type CommandSpec, type ParsedArgs } from './args.js'
import { userStoreOption } from './user-store.js'
import { CLI, recordAdminActions } from './user-admin.js'

export const REVOKE_SESSIONS_USAGE = `Usage: authgate user revoke-sessions (--id ID | --email E) --config FILE

Ends every session of the user (refresh at once, access tokens within tokens.revocationDelay on every running
instance).

Options:
  --id ID         the user id (as in x-user-id; for users.source: upstream, the legacy system's id)
  --email E       instead of --id, for users of the built-in users collection
  --issuer ISS    with --id SUB: a user of that trusted issuer (tokens.trustedIssuers), whose tokens issued until
                  now are refused (they have no sessions); the same sub at another issuer is another user
  --config FILE   gateway configuration (store.mongodb)
  -h, --help      this text`

export const REVOKE_SESSIONS: CommandSpec = {
  name: 'user revoke-sessions',
  usage: REVOKE_SESSIONS_USAGE,
  options: { id: { type: 'string' }, email: { type: 'string' }, issuer: { type: 'string' }, config: { type: 'string' } }
}

export async function revokeSessions (args: ParsedArgs): Promise<number> {
  const id = flag(args, 'id')
  const email = flag(args, 'email')
  if ((id === undefined) === (email === undefined)) throw new UsageError('give one of --id ID or --email E', REVOKE_SESSIONS_USAGE)
  const issuer = flag(args, 'issuer')
  if (issuer !== undefined && id === undefined) throw new UsageError('--issuer needs --id SUB (the user\'s sub at that issuer)', REVOKE_SESSIONS_USAGE)
  const file = flag(args, 'config')
  let storeOption: StoreOption
  if (issuer !== undefined) {
    // Only the configuration can tell a trusted issuer from a typo, which would revoke nobody and say it did.
    if (file === undefined) throw new UsageError(`${MISSING_CONFIG} with --issuer (its tokens.trustedIssuers)`, REVOKE_SESSIONS_USAGE)
    const config = loadConfig(file)
    if (!(config.tokens.trustedIssuers ?? []).some((entry) => entry.issuer === issuer)) throw new UsageError(`--issuer ${JSON.stringify(issuer)} is not one of tokens.trustedIssuers in ${file}`, REVOKE_SESSIONS_USAGE)
    if (config.store === undefined) throw new Error(`${file} has no store.mongodb: sessions in an in-memory store live in the gateway process only`)
    storeOption = config.store
  } else {
    storeOption = userStoreOption(file, 'sessions in an in-memory store live in the gateway process only', REVOKE_SESSIONS_USAGE)
  }
  const store = createStore(storeOption)
  try {
    await store.init()
    if (issuer !== undefined && id !== undefined) return await revokeSubject(store, issuer, id)
    let userId = id
    if (userId === undefined) {
      const user = await store.findUserByEmail(normaliseEmail(email ?? ''))
      if (user === null) throw new Error(`no user ${email ?? ''} in the users collection (for users.source: upstream, give --id)`)
      userId = user.id
    }
    // Not the shared revokeUserSessions operation (@authgate/fastify, as `user delete` uses): that one refuses an id
    // the users collection does not hold, and --id here is often a user of users.source: upstream (the legacy
    // system's id, with sessions but no user record), on a store that need not have the admin methods. The record
    // is built the same way (adminActionEvent), so both report alike.
    const now = new Date()
    const revoked = await store.revokeUserSessions(userId, now)
    await recordAdminActions(store, file, [adminActionEvent(CLI, 'sessions.revoke', userId, { revokedSessionIds: revoked }, now)])
    out(`revoked ${revoked.length} session${revoked.length === 1 ? '' : 's'} of user ${JSON.stringify(userId)}`)
    return 0
  } catch (error) {
    if (isAuthError(error)) throw new Error(error.message)
    throw error
  } finally {
    await store.close()
  }
}

async function revokeSubject (store: SessionStore, issuer: string, sub: string): Promise<number> {
  if (store.revokeSubject === undefined) throw new Error('this store cannot record subject revocations')
  await store.revokeSubject(issuer, sub, new Date())
  out(`revoked every token of user ${JSON.stringify(sub)} of ${JSON.stringify(issuer)} issued until now`)
  return 0
}
