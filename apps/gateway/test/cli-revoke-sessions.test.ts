// `authgate user revoke-sessions --id ID --config FILE` (issue #11, item 3): every session of the user ends — refresh
// at once, the access tokens within tokens.revocationDelay on the running gateway — and other users keep theirs.
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
import { startUpstream } from './helpers.js'

// Each spawned `authgate` compiles the sources first (tens of seconds on a busy 2-core machine): tap's 120 s default
// is too close for a file that spawns several.
t.setTimeout(300_000)

const PASSWORD = 'a long enough password'

t.test('user revoke-sessions ends every session of that user, and only theirs', async (t) => {
  const db = await useTestDatabase(t, 'cli_revoke')
  const upstream = await startUpstream(t)
  const dir = mkdtempSync(join(tmpdir(), 'authgate-revoke-'))
  writeKeysDir(join(dir, 'keys'), [generateKey('EdDSA')])
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, `store: { mongodb: { url: \${TEST_MONGO_URL}, database: ${db.name} } }\ntokens: { keysDir: ./keys, revocationDelay: 200ms }\ncookie: { secure: false }\nauth: { registration: true }\nroutes:\n  - { prefix: /api, upstream: ${upstream.url}, auth: required }\n`)
  const env = { TEST_MONGO_URL: db.url }
  const app = await buildApp(loadConfig(file, { env }), { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const post = (path: string, body?: unknown, cookie?: string): Promise<Response> => fetch(`${origin}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(cookie === undefined ? {} : { cookie }) }, body: body === undefined ? undefined : JSON.stringify(body)
  })
  const sessionOf = async (email: string) => {
    const response = await post('/auth/login', { email, password: PASSWORD })
    t.equal(response.status, 200, `${email} logs in`)
    const body = await response.json() as { accessToken: string, user: { id: string } }
    const line = response.headers.getSetCookie().find((value) => value.startsWith('authgate_rt=')) ?? ''
    return { access: body.accessToken, cookie: line.slice(0, line.indexOf(';')), id: body.user.id }
  }
  const api = async (access: string): Promise<number> => (await fetch(`${origin}/api/x`, { headers: { authorization: `Bearer ${access}` } })).status
  for (const email of ['victim@example.com', 'bystander@example.com']) t.equal((await post('/auth/register', { email, password: PASSWORD })).status, 201)
  const laptop = await sessionOf('victim@example.com')
  const phone = await sessionOf('victim@example.com')
  const other = await sessionOf('bystander@example.com')

  const run = await runCli(['user', 'revoke-sessions', '--id', laptop.id, '--config', file], { env })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /revoked 2 sessions/)
  for (const session of [laptop, phone]) t.equal((await post('/auth/refresh', undefined, session.cookie)).status, 401, 'refresh refused at once')
  const deadline = Date.now() + 5000
  while (await api(phone.access) !== 401 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await api(laptop.access), 401, 'access tokens refused within the revocation delay')
  t.equal(await api(phone.access), 401)
  t.equal(await api(other.access), 200, 'another user is untouched')
  t.equal((await post('/auth/refresh', undefined, other.cookie)).status, 200)

  const byEmail = await runCli(['user', 'revoke-sessions', '--email', 'Bystander@example.com', '--config', file], { env })
  t.equal(byEmail.code, 0, byEmail.stderr)
  t.match(byEmail.stdout, /revoked 1 session /)
  const usage = await runCli(['user', 'revoke-sessions', '--config', file], { env })
  t.equal(usage.code, 2)
  t.match(usage.stderr, /give one of --id ID or --email E/)
})

t.test('user add and token refuse an identity headers cannot carry, with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-identity-'))
  writeKeysDir(join(dir, 'keys'), [generateKey('EdDSA')])
  const file = join(dir, 'authgate.json')
  writeFileSync(file, JSON.stringify({ tokens: { keysDir: './keys' }, routes: [] }))
  // One spelling each here (every spelling is covered by identity-values.test.ts): the commands refuse, exit 2.
  const added = await runCli(['user', 'add', '--email', 'x@example.com', '--roles', 'ops,админ', '--config', file], { stdin: PASSWORD })
  t.equal(added.code, 2, 'user add --roles with a Cyrillic role is refused')
  t.match(added.stderr, /headers can carry/)
  const minted = await runCli(['token', '--config', file, '--sub', '用户'])
  t.equal(minted.code, 2, 'token --sub 用户 is refused')
  t.match(minted.stderr, /forwarded in a header/)
  const fine = await runCli(['token', '--config', file, '--sub', 'user 42', '--roles', 'admin,ops'])
  t.equal(fine.code, 0, fine.stderr)
})
