// `authgate user revoke-sessions --id ID --config FILE`: ends every session of a user (a legacy account taken over,
// an employee gone) from outside the running gateways. The sessions are revoked in the shared store, so each running
// instance learns it at its next revocation poll: refresh answers 401 at once and access tokens within
// tokens.revocationDelay, as for logout-all.
import { createStore, isAuthError, normaliseEmail } from '@authgate/fastify'
import { UsageError, flag, out, type CommandSpec, type ParsedArgs } from './args.js'
import { userStoreOption } from './user-store.js'

export const REVOKE_SESSIONS_USAGE = `Usage: authgate user revoke-sessions (--id ID | --email E) --config FILE

Ends every session of the user (refresh at once, access tokens within tokens.revocationDelay on every running
instance).

Options:
  --id ID         the user id (as in x-user-id; for users.source: upstream, the legacy system's id)
  --email E       instead of --id, for users of the built-in users collection
  --config FILE   gateway configuration (store.mongodb)
  -h, --help      this text`

export const REVOKE_SESSIONS: CommandSpec = {
  name: 'user revoke-sessions',
  usage: REVOKE_SESSIONS_USAGE,
  options: { id: { type: 'string' }, email: { type: 'string' }, config: { type: 'string' } }
}

export async function revokeSessions (args: ParsedArgs): Promise<number> {
  const id = flag(args, 'id')
  const email = flag(args, 'email')
  if ((id === undefined) === (email === undefined)) throw new UsageError('give one of --id ID or --email E', REVOKE_SESSIONS_USAGE)
  const store = createStore(userStoreOption(flag(args, 'config'), 'sessions in an in-memory store live in the gateway process only'))
  try {
    await store.init()
    let userId = id
    if (userId === undefined) {
      const user = await store.findUserByEmail(normaliseEmail(email ?? ''))
      if (user === null) throw new Error(`no user ${email ?? ''} in the users collection (for users.source: upstream, give --id)`)
      userId = user.id
    }
    const revoked = await store.revokeUserSessions(userId, new Date())
    out(`revoked ${revoked.length} session${revoked.length === 1 ? '' : 's'} of user ${JSON.stringify(userId)}`)
    return 0
  } catch (error) {
    if (isAuthError(error)) throw new Error(error.message)
    throw error
  } finally {
    await store.close()
  }
}
