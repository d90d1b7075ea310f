// `authgate user list|show|disable|enable|delete|set-roles|set-password` (issue #15 item 3), spawned against a real
// configuration on the test database while a gateway runs on it: what each verb does is what the running gateway
// sees (login refused or allowed, roles at the next refresh, sessions ended), and usage mistakes exit 2.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { useTestDatabase } from '@authgate/test-kit/database'
import { runCli } from './cli-helpers.js'

// Each spawned `authgate` compiles the sources first (tens of seconds on a busy 2-core machine).
t.setTimeout(600_000)

const PASSWORD = 'a long enough password'
const NEW_PASSWORD = 'another long password'

t.test('user admin verbs act on the store a running gateway uses', async (t) => {
  const db = await useTestDatabase(t, 'cli_user_admin')
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-admin-'))
  writeKeysDir(join(dir, 'keys'), [generateKey('EdDSA')])
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, `store: { mongodb: { url: \${TEST_MONGO_URL}, database: ${db.name} } }\ntokens: { keysDir: ./keys, revocationDelay: 200ms, idleTimeout: 1h }\ncookie: { secure: false }\nauth: { registration: true }\nroutes: []\n`)
  const env = { TEST_MONGO_URL: db.url }
  const app = await buildApp(loadConfig(file, { env }), { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const post = (path: string, body?: unknown, cookie?: string): Promise<Response> => fetch(`${origin}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(cookie === undefined ? {} : { cookie }) }, body: body === undefined ? undefined : JSON.stringify(body)
  })
  const signIn = async (email: string, password = PASSWORD) => {
    const response = await post('/auth/login', { email, password })
    const line = response.headers.getSetCookie().find((value) => value.startsWith('authgate_rt=')) ?? ''
    const body = await response.json() as { accessToken?: string, code?: string, user?: { id: string } }
    return { status: response.status, code: body.code, cookie: line.slice(0, line.indexOf(';')), access: body.accessToken ?? '', id: body.user?.id ?? '' }
  }
  const rolesOf = (token: string): string[] => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles: string[] }).roles
  const cli = (...args: string[]) => runCli(['user', ...args, '--config', file], { env })
  for (const email of ['alice@example.com', 'bob@example.com']) t.equal((await post('/auth/register', { email, password: PASSWORD })).status, 201)
  const alice = await signIn('alice@example.com')

  const listed = await cli('list', '--query', 'ALICE')
  t.equal(listed.code, 0, listed.stderr)
  t.match(listed.stdout, new RegExp(`^${alice.id}\\talice@example.com\\tuser\\tenabled\\t`))
  t.notMatch(listed.stdout, /bob/)
  const paged = await cli('list', '--limit', '1')
  t.equal(paged.stdout.trim().split('\n').length, 1, 'one per page')
  const cursor = /--cursor (\S+)/.exec(paged.stderr)?.[1] ?? ''
  const next = await cli('list', '--limit', '1', '--cursor', cursor)
  t.equal(next.code, 0, next.stderr)
  t.not(next.stdout, paged.stdout, 'the next page holds the other user')

  const shown = await cli('show', '--email', 'Alice@Example.com')
  t.equal(shown.code, 0, shown.stderr)
  const user = JSON.parse(shown.stdout) as Record<string, unknown>
  t.match(user, { id: alice.id, email: 'alice@example.com', roles: ['user'], disabled: false, sessions: 1 })
  t.notMatch(shown.stdout, /argon2|passwordHash/, 'no password hash')
  // A second session of hers, unused for longer than tokens.idleTimeout: over, though not yet expired.
  const idle = await signIn('alice@example.com')
  const sidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: string }).sid
  await db.db.collection<{ _id: string, lastUsedAt: Date }>('sessions').updateOne({ _id: sidOf(idle.access) }, { $set: { lastUsedAt: new Date(Date.now() - 2 * 3_600_000) } })
  t.equal(idle.status, 200)
  t.match(JSON.parse((await cli('show', '--id', alice.id)).stdout), { sessions: 1 }, 'a session idle past tokens.idleTimeout is not counted')

  const roles = await cli('set-roles', '--id', alice.id, '--roles', 'user,support')
  t.equal(roles.code, 0, roles.stderr)
  const refreshed = await post('/auth/refresh', undefined, alice.cookie)
  t.equal(refreshed.status, 200)
  const fresh = await refreshed.json() as { accessToken: string }
  t.same(rolesOf(fresh.accessToken), ['user', 'support'], 'the new roles at the next refresh')
  const rotated = refreshed.headers.getSetCookie().find((value) => value.startsWith('authgate_rt=')) ?? ''

  const disabled = await cli('disable', '--email', 'alice@example.com')
  t.equal(disabled.code, 0, disabled.stderr)
  t.match(disabled.stdout, /2 sessions ended/, 'the idle one is revoked too')
  t.equal((await post('/auth/refresh', undefined, rotated.slice(0, rotated.indexOf(';')))).status, 401, 'her session is over')
  t.match(await signIn('alice@example.com'), { status: 403, code: 'AUTH_USER_DISABLED' }, 'login refused')
  t.equal((await cli('enable', '--id', alice.id)).code, 0)
  t.equal((await signIn('alice@example.com')).status, 200, 'enabled again')

  const changed = await runCli(['user', 'set-password', '--email', 'alice@example.com', '--config', file], { env, stdin: `${NEW_PASSWORD}\n` })
  t.equal(changed.code, 0, changed.stderr)
  t.match(changed.stdout, /set the password/)
  t.equal((await signIn('alice@example.com')).status, 401, 'the old password is refused')
  t.equal((await signIn('alice@example.com', NEW_PASSWORD)).status, 200, 'the new one works')

  const deleted = await cli('delete', '--id', alice.id)
  t.equal(deleted.code, 0, deleted.stderr)
  t.match(await signIn('alice@example.com', NEW_PASSWORD), { status: 401, code: 'AUTH_INVALID_CREDENTIALS' }, 'login fails like an unknown user')

  // Every verb that changed something left its row in the audit trail, actor `cli`, without the password.
  const rows = await db.db.collection<{ type: string, actor: string | null, userId: string | null, details: Record<string, unknown> }>('audit')
    .find({ type: 'adminAction', userId: alice.id }).sort({ at: 1 }).toArray()
  t.same(rows.map((row) => row.details.action), ['user.update', 'user.update', 'user.update', 'user.password', 'user.delete'], 'set-roles, disable, enable, set-password, delete')
  t.ok(rows.every((row) => row.actor === 'cli'), 'by the command line')
  t.equal(rows[3]?.details.passwordChanged, true)
  t.notOk(JSON.stringify(rows).includes(NEW_PASSWORD), 'never the password')

  const unknown = await cli('show', '--id', alice.id)
  t.equal(unknown.code, 1, 'an unknown user is a failure')
  t.match(unknown.stderr, /no user with id/)
  const both = await cli('disable', '--id', 'x', '--email', 'bob@example.com')
  t.equal(both.code, 2, 'both --id and --email')
  t.match(both.stderr, /give one of --id ID or --email E/)
  const neither = await cli('delete')
  t.equal(neither.code, 2, 'neither')
  const badRoles = await cli('set-roles', '--email', 'bob@example.com', '--roles', 'ops,адм')
  t.equal(badRoles.code, 2, 'a role headers cannot carry')
  t.match(badRoles.stderr, /headers can carry/)
  // A NUL cannot be passed as an argument at all; any other control character is refused like the API refuses it.
  for (const query of ['a\u0001b', 'a\u001fb', 'a\u007fb']) {
    const control = await cli('list', '--query', query)
    t.equal(control.code, 2, `--query ${JSON.stringify(query)}`)
    t.match(control.stderr, /control characters/)
  }
  const badCursor = await cli('list', '--cursor', 'nope')
  t.equal(badCursor.code, 2)
  const help = await runCli(['user', 'disable', '--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /Usage: authgate user disable/)
  t.match(help.stdout, /Exit codes/)
})
