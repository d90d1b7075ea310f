// `authgate user list|show|disable|enable|delete|set-roles|set-password`: the admin API's actions from the command
// line, on the configuration's store. Each runs the plugin's own implementation (@authgate/fastify updateUser,
// deleteUser, setUserPassword: one way to do each thing) as actor `cli`, and so returns the same `adminAction` record
// the API emits. The command line is the operator's: the API's escalation and self-lockout rules (which protect
// admins from each other) do not apply here. Sessions are revoked in the shared store; running gateways refuse the
// refresh at once and the access tokens within tokens.revocationDelay (their revocation poll).
import { CLI_ACTOR, adminActionEntry, deleteUser, findUserByEmail, identityUnlinker, isAdminStore, USER_QUERY_PATTERN, missingAdminMethods, publicUser, setUserPassword, updateUser, encodeUserCursor, decodeUserCursor, foldEmailFragment, MAX_EMAIL_LENGTH, type AdminActionEvent, type AdminStore, type AdminTarget } from '@authgate/fastify/admin'
import { createStore } from '@authgate/fastify/stores'
import { isAuthError, type SessionStore } from '@authgate/fastify'
import { DEFAULT_REFRESH_TTL, parseDuration } from '@authgate/fastify/config'
import { loadConfig } from '../config.js'
import { UsageError, flag, list, out, type CommandSpec, type ParsedArgs } from './args.js'
import { writeAuditRows } from './audit-row.js'
import { readNewPassword } from './password-input.js'
import { identityFlagError } from './user-identity.js'
import { userStoreOption } from './user-store.js'

const WHO = `  --id ID         the user's id
  --email E       instead of --id: the user's email`
const COMMON = `  --config FILE   gateway configuration (store.mongodb; without it, MONGODB_URL and database "authgate")
  -h, --help      this text`
const EXIT = `Exit codes: 0 done; 1 failure (no such user, store unreachable, bad password); 2 usage error (both or neither of
--id/--email, a bad role name, an unknown option).`

function spec (name: string, usage: string, options: Record<string, { type: 'string' }> = {}): CommandSpec {
  return { name: `user ${name}`, usage, options: { id: { type: 'string' }, email: { type: 'string' }, config: { type: 'string' }, ...options } }
}

export const LIST = spec('list', `Usage: authgate user list [--query Q] [--limit N] [--cursor C] --config FILE

Lists users, newest first, one per line: id, email, roles, enabled|disabled, created. A further page is named on
stderr as --cursor C.

Options:
  --query Q       only users whose email contains Q (case folded)
  --limit N       users per page, 1 to 100 (default 50)
  --cursor C      the page after the one that printed it
${COMMON}

${EXIT}`, { query: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } })

export const SHOW = spec('show', `Usage: authgate user show (--id ID | --email E) --config FILE

Prints the user (never a password hash) and their live session count as JSON.

Options:
${WHO}
${COMMON}

${EXIT}`)

const toggle = (verb: 'disable' | 'enable'): CommandSpec => spec(verb, `Usage: authgate user ${verb} (--id ID | --email E) --config FILE

${verb === 'disable'
  ? 'Refuses the user\'s logins (AUTH_USER_DISABLED, after the password is checked) and refreshes, and ends every\nsession of theirs (also when the user is already disabled). Tokens of a trusted issuer for the same person are\nnot theirs: end those with `authgate user revoke-sessions --issuer ISS --id SUB`.'
  : 'Lifts a disable: the user can log in again.'}

Options:
${WHO}
${COMMON}

${EXIT}`)
export const DISABLE = toggle('disable')
export const ENABLE = toggle('enable')

export const DELETE = spec('delete', `Usage: authgate user delete (--id ID | --email E) --config FILE

Ends every session of the user, removes their OIDC links and device and network records, then the user (a delete
that failed halfway can be run again and finishes). Not undoable.

Options:
${WHO}
${COMMON}

${EXIT}`)

export const SET_ROLES = spec('set-roles', `Usage: authgate user set-roles (--id ID | --email E) --roles a,b --config FILE

Replaces the user's roles (--roles '' removes them all). They reach access tokens at the next refresh.

Options:
${WHO}
  --roles a,b     the new roles
${COMMON}

${EXIT}`, { roles: { type: 'string' } })

export const SET_PASSWORD = spec('set-password', `Usage: authgate user set-password (--id ID | --email E) --config FILE

Replaces the user's password and ends every session of theirs. The password is asked for twice on the terminal
(not shown), or read from stdin when it is a pipe (one line):
printf '%s' "$PASSWORD" | authgate user set-password --email a@b.c --config f.yaml

Options:
${WHO}
${COMMON}

${EXIT}`)

export const ADMIN_COMMANDS = { list: LIST, show: SHOW, disable: DISABLE, enable: ENABLE, delete: DELETE, 'set-roles': SET_ROLES, 'set-password': SET_PASSWORD }
export type AdminVerb = keyof typeof ADMIN_COMMANDS

export const CLI = { id: CLI_ACTOR, ip: null }

/** The admin API's rule for a user-list query (no control characters), so both refuse the same text. */
const QUERY_TEXT = new RegExp(USER_QUERY_PATTERN, 'u')

/**
 * The CLI's `adminAction` records, written to the audit trail (actor `cli`) once the command has acted: the API emits
 * them on app.authgate.events, the command line has no running app. `configFile`'s audit.retention applies.
 */
export async function recordAdminActions (store: SessionStore, configFile: string | undefined, events: AdminActionEvent[]): Promise<void> {
  const audit = configFile === undefined ? undefined : loadConfig(configFile).audit
  await writeAuditRows(store, audit, events.map(adminActionEntry), 'the user was changed')
}

/** The store of the configuration, opened, with the admin methods. */
async function openStore (args: ParsedArgs, usage: string): Promise<AdminStore> {
  const store: SessionStore = createStore(userStoreOption(flag(args, 'config'), 'users in an in-memory store live in the gateway process only', usage))
  const missing = missingAdminMethods(store)
  if (!isAdminStore(store)) {
    await store.close()
    throw new Error(`the store has no ${missing.join(', ')}`)
  }
  await store.init()
  return store
}

/** The id the user options name (--id as given; --email looked up as login does). */
async function userIdOf (store: AdminStore, args: ParsedArgs): Promise<string> {
  const id = flag(args, 'id')
  if (id !== undefined) {
    if (await store.findUserById(id) === null) throw new Error(`no user with id ${JSON.stringify(id)}`)
    return id
  }
  const email = flag(args, 'email') ?? ''
  const user = await findUserByEmail(store, email)
  if (user === null) throw new Error(`no user ${JSON.stringify(email)}`)
  return user.id
}

function checkWho (args: ParsedArgs, usage: string): void {
  if ((flag(args, 'id') === undefined) === (flag(args, 'email') === undefined)) throw new UsageError('give one of --id ID or --email E', usage)
}

const sessionsEnded = (event: AdminActionEvent): string => {
  const count = event.changes.revokedSessionIds?.length ?? 0
  return `${count} session${count === 1 ? '' : 's'} ended`
}

export async function adminCommand (verb: AdminVerb, args: ParsedArgs): Promise<number> {
  const usage = ADMIN_COMMANDS[verb].usage
  if (verb === 'list') {
    if (flag(args, 'id') !== undefined || flag(args, 'email') !== undefined) throw new UsageError('user list takes --query, not --id/--email', usage)
  } else {
    checkWho(args, usage)
  }
  const roles = verb === 'set-roles' ? parseRoles(args, usage) : undefined
  const limit = verb === 'list' ? parseLimit(flag(args, 'limit'), usage) : 0
  if ((flag(args, 'query') ?? '').length > MAX_EMAIL_LENGTH) throw new UsageError(`--query holds at most ${MAX_EMAIL_LENGTH} characters`, usage)
  if (!QUERY_TEXT.test(flag(args, 'query') ?? '')) throw new UsageError('--query must not hold control characters', usage)
  const cursor = flag(args, 'cursor')
  const after = cursor === undefined ? undefined : decodeUserCursor(cursor)
  if (cursor !== undefined && after === undefined) throw new UsageError('--cursor is not one `user list` printed', usage)
  // Asked before the store is opened: a bad password costs no connection.
  const password = verb === 'set-password' ? await readNewPassword() : undefined
  const store = await openStore(args, usage)
  // Every record of the command, also the part done of one that failed halfway: written to the trail at the end.
  const actions: AdminActionEvent[] = []
  const target: AdminTarget = { store, revokeSessions: (userId) => store.revokeUserSessions(userId, new Date()), unlinkIdentities: identityUnlinker(store), report: (event) => { actions.push(event) } }
  try {
    if (verb === 'list') {
      const query = flag(args, 'query')
      const found = await store.listUsers({ limit: limit + 1, ...(after === undefined ? {} : { after }), ...(query === undefined || query === '' ? {} : { emailContains: foldEmailFragment(query) }) })
      const page = found.slice(0, limit)
      for (const user of page) out([user.id, user.email, user.roles.join(',') || '-', user.disabled === true ? 'disabled' : 'enabled', user.createdAt.toISOString()].join('\t'))
      const last = page.at(-1)
      if (found.length > limit && last !== undefined) process.stderr.write(`more: --cursor ${encodeUserCursor(last)}\n`)
      return 0
    }
    const id = await userIdOf(store, args)
    if (verb === 'show') {
      const user = await store.findUserById(id)
      if (user === null) throw new Error(`no user with id ${JSON.stringify(id)}`)
      const now = new Date()
      // Counted as refresh counts them: a session unused for tokens.idleTimeout is over even if not yet expired.
      const live = await store.listUserSessions(id, now, new Date(now.getTime() - sessionIdleMs(flag(args, 'config'))))
      out(JSON.stringify({ ...publicUser(user), sessions: live.length }, null, 2))
      return 0
    }
    if (verb === 'disable' || verb === 'enable') {
      const { event } = await updateUser(target, CLI, id, { disabled: verb === 'disable' })
      out(`${verb}d user ${id}${verb === 'disable' ? ` (${sessionsEnded(event)})` : ''}`)
    } else if (verb === 'delete') {
      const event = await deleteUser(target, CLI, id)
      out(`deleted user ${id} (${sessionsEnded(event)})`)
    } else if (verb === 'set-roles') {
      const { user } = await updateUser(target, CLI, id, { roles: roles ?? [] })
      out(`user ${id} now has roles: ${user.roles.join(',') || '(none)'} (they reach access tokens at the next refresh)`)
    } else {
      const event = await setUserPassword(target, CLI, id, password ?? '')
      out(`set the password of user ${id} (${sessionsEnded(event)})`)
    }
    return 0
  } catch (error) {
    if (isAuthError(error)) throw new Error(error.code === 'AUTH_NOT_FOUND' ? 'no such user' : error.message)
    throw error
  } finally {
    await recordAdminActions(store, flag(args, 'config'), actions)
    await store.close()
  }
}

/** tokens.idleTimeout of the configuration (default: refreshTtl); the defaults without one (MONGODB_URL). */
function sessionIdleMs (file: string | undefined): number {
  const tokens = file === undefined ? undefined : loadConfig(file).tokens
  return parseDuration(tokens?.idleTimeout ?? tokens?.refreshTtl ?? DEFAULT_REFRESH_TTL, 'tokens.idleTimeout')
}

function parseRoles (args: ParsedArgs, usage: string): string[] {
  const given = flag(args, 'roles')
  if (given === undefined) throw new UsageError('--roles a,b is required (--roles \'\' for none)', usage)
  const roles = list(given)
  const error = identityFlagError(undefined, roles)
  if (error !== undefined) throw new UsageError(error, usage)
  return roles
}

function parseLimit (given: string | undefined, usage: string): number {
  if (given === undefined) return 50
  const limit = Number(given)
  if (!/^\d+$/.test(given) || limit < 1 || limit > 100) throw new UsageError('--limit must be a whole number from 1 to 100', usage)
  return limit
}
