// `authgate user add --email E [--roles a,b] --config FILE`: creates a user in the configured MongoDB store; the
// password is read from stdin, never from the command line (it would show in `ps` and the shell history).
import { addUser, createStore, isAuthError } from '@authgate/fastify'
import { loadConfig } from '../config.js'
import { UsageError, flag, list, out, parseArgs, requiredFlag } from './args.js'

export const USER_HELP = `Usage: authgate user add --email E [--roles a,b] --config FILE

Creates a user in the configuration's store (store.mongodb; without --config, MONGODB_URL and database
"authgate"). The password is read from stdin: printf '%s' "$PASSWORD" | authgate user add --email a@b.c --config f.yaml

Options:
  --email E       the login email
  --roles a,b     roles (default none)
  --config FILE   gateway configuration`

async function readStdin (): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

export async function userCommand (argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['email', 'roles', 'config'])
  if (args.flags.has('help') || args.positionals.length === 0) {
    out(USER_HELP)
    return args.flags.has('help') ? 0 : 2
  }
  if (args.positionals[0] !== 'add' || args.positionals.length > 1) throw new UsageError(`unknown user command ${args.positionals.join(' ')} (expected: user add)`)
  const email = requiredFlag(args, 'email')
  const file = flag(args, 'config')
  const mongoUrl = process.env.MONGODB_URL
  const storeOption = file === undefined
    ? (mongoUrl === undefined || mongoUrl === '' ? undefined : { mongodb: { url: mongoUrl, database: 'authgate' } })
    : loadConfig(file).store
  if (storeOption === undefined) {
    throw new Error(file === undefined
      ? 'give --config FILE (with store.mongodb) or set MONGODB_URL'
      : `${file} has no store.mongodb: a user added to an in-memory store would vanish at once`)
  }
  const password = await readStdin()
  const store = createStore(storeOption)
  try {
    await store.init()
    const user = await addUser(store, { email, password, roles: list(flag(args, 'roles')) })
    out(`created user ${user.id} (${user.email})`)
    return 0
  } catch (error) {
    if (isAuthError(error)) throw new Error(error.code === 'AUTH_EMAIL_TAKEN' ? `${email} is already registered` : error.message)
    throw error
  } finally {
    await store.close()
  }
}
