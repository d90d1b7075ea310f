// `authgate user add --email E [--roles a,b] --config FILE`: creates a user in the configured MongoDB store; the
// password is read from the terminal (not echoed) or from a pipe, never from the command line (it would show in `ps`
// and the shell history).
import { addUser } from '@authgate/fastify/admin'
import { createStore } from '@authgate/fastify/stores'
import { isAuthError } from '@authgate/fastify'
import { userStoreOption } from './user-store.js'
import { UsageError, flag, list, out, parseSubcommand, printHelp, requiredFlag, type CommandSpec, type GroupSpec } from './args.js'
import { readNewPassword } from './password-input.js'
import { REVOKE_SESSIONS, REVOKE_SESSIONS_USAGE, revokeSessions } from './user-revoke-sessions.js'
import { identityFlagError } from './user-identity.js'
import { ADMIN_COMMANDS, adminCommand, type AdminVerb } from './user-admin.js'

const ADD_USAGE = `Usage: authgate user add --email E [--roles a,b] --config FILE

Creates a user in the configuration's store (store.mongodb; without --config, MONGODB_URL and database
"authgate"). The password is asked for twice on the terminal (not shown; Enter ends it, Ctrl-C or Ctrl-D on an
empty line aborts), or read from stdin when it is a pipe (one line, not repeated):
printf '%s' "$PASSWORD" | authgate user add --email a@b.c --config f.yaml

Options:
  --email E       the login email
  --roles a,b     roles (default none)
  --config FILE   gateway configuration
  -h, --help      this text`

const ADD: CommandSpec = {
  name: 'user add',
  usage: ADD_USAGE,
  options: { email: { type: 'string' }, roles: { type: 'string' }, config: { type: 'string' } }
}

export const USER: GroupSpec = {
  name: 'user',
  usage: [ADD_USAGE, ...Object.values(ADMIN_COMMANDS).map((command) => command.usage.split('\n\nExit codes')[0] ?? ''), REVOKE_SESSIONS_USAGE].join('\n\n'),
  commands: { add: ADD, ...ADMIN_COMMANDS, 'revoke-sessions': REVOKE_SESSIONS }
}

function isAdminVerb (sub: string): sub is AdminVerb {
  return Object.hasOwn(ADMIN_COMMANDS, sub)
}

export async function userCommand (argv: readonly string[]): Promise<number> {
  const args = parseSubcommand(argv, USER)
  if (args.help !== undefined) return printHelp(args.help)
  if (args.sub === 'revoke-sessions') return revokeSessions(args)
  if (isAdminVerb(args.sub)) return adminCommand(args.sub, args)
  const email = requiredFlag(args, 'email')
  const roles = list(flag(args, 'roles'))
  // Refused here, with the reason, rather than at every proxied request of the user (a 502 per request).
  const identityError = identityFlagError(undefined, roles)
  if (identityError !== undefined) throw new UsageError(identityError, ADD_USAGE)
  const storeOption = userStoreOption(flag(args, 'config'), 'a user added to an in-memory store would vanish at once', ADD_USAGE)
  // Refused before the store is opened when it breaks addUser's rules (one line, its length).
  const password = await readNewPassword()
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
