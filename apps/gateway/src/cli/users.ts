// `authgate user add --email E [--roles a,b] --config FILE`: creates a user in the configured MongoDB store; the
// password is read from stdin, never from the command line (it would show in `ps` and the shell history).
import { addUser, createStore, isAuthError } from '@authgate/fastify'
import { userStoreOption } from './user-store.js'
import { UsageError, flag, list, out, parseArgs, requiredFlag } from './args.js'
import { REVOKE_SESSIONS_HELP, revokeSessions } from './user-revoke-sessions.js'
import { identityFlagError } from './user-identity.js'

export const USER_HELP = `Usage: authgate user add --email E [--roles a,b] --config FILE
       authgate user revoke-sessions --id ID --config FILE

Creates a user in the configuration's store (store.mongodb; without --config, MONGODB_URL and database
"authgate"). The password is read from stdin: printf '%s' "$PASSWORD" | authgate user add --email a@b.c --config f.yaml

Options:
  --email E       the login email
  --roles a,b     roles (default none)
  --config FILE   gateway configuration

${REVOKE_SESSIONS_HELP}`

async function readStdin (): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

export async function userCommand (argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['email', 'roles', 'config', 'id', 'issuer'])
  if (args.flags.has('help') || args.positionals.length === 0) {
    out(USER_HELP)
    return args.flags.has('help') ? 0 : 2
  }
  if (args.positionals.length > 1 || !['add', 'revoke-sessions'].includes(args.positionals[0] ?? '')) {
    throw new UsageError(`unknown user command ${args.positionals.join(' ')} (expected: user add, user revoke-sessions)`)
  }
  if (args.positionals[0] === 'revoke-sessions') return revokeSessions(args)
  if (args.flags.has('id')) throw new UsageError('--id is not an option of user add (ids are generated)')
  if (args.flags.has('issuer')) throw new UsageError('--issuer is an option of user revoke-sessions only')
  const email = requiredFlag(args, 'email')
  const roles = list(flag(args, 'roles'))
  // Refused here, with the reason, rather than at every proxied request of the user (a 502 per request).
  const identityError = identityFlagError(undefined, roles)
  if (identityError !== undefined) throw new UsageError(identityError)
  const storeOption = userStoreOption(flag(args, 'config'), 'a user added to an in-memory store would vanish at once')
  const password = await readStdin()
  const store = createStore(storeOption)
  try {
    await store.init()
    const user = await addUser(store, { email, password, roles })
    out(`created user ${user.id} (${user.email})`)
    return 0
  } catch (error) {
    if (isAuthError(error)) throw new Error(error.code === 'AUTH_EMAIL_TAKEN' ? `${email} is already registered` : error.message)
    throw error
  } finally {
    await store.close()
  }
}
