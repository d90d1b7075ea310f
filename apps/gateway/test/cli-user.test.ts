// `authgate user add`: the password comes from a pipe or, typed on a terminal, without echo (issue #12 item 4); the
// user lands in the configured MongoDB store, and the gateway then logs that user in. Without a persistent store the
// command refuses (exit 1).
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { useTestDatabase } from '@authgate/test-kit/database'
import { runCli, runInTerminal } from './cli-helpers.js'

// Eight CLI processes, each compiling the TypeScript sources through tap's loader: longer than tap's default on a
// loaded machine.
t.setTimeout(600_000)

t.test('user add creates a user the gateway can log in', async (t) => {
  const db = await useTestDatabase(t, 'cli_user')
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-'))
  writeKeysDir(join(dir, 'keys'), [generateKey('EdDSA')])
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, `store: { mongodb: { url: \${TEST_MONGO_URL}, database: ${db.name} } }\ntokens: { keysDir: ./keys }\ncookie: { secure: false }\nroutes:\n  - { prefix: /api, upstream: http://127.0.0.1:1 }\n`)
  const password = 'a long enough password'
  const created = await runCli(['user', 'add', '--email', 'ops@example.com', '--roles', 'admin,ops', '--config', file], { stdin: `${password}\n`, env: { TEST_MONGO_URL: db.url } })
  t.equal(created.code, 0, created.stderr)
  t.match(created.stdout, /created user \S+ \(ops@example\.com\)/)
  t.notMatch(created.stdout + created.stderr, password, 'the password is never printed')
  const stored = await db.db.collection('users').findOne({ emailNormalized: 'ops@example.com' })
  t.ok(stored)
  t.notMatch(JSON.stringify(stored), password, 'only a hash is stored')

  const again = await runCli(['user', 'add', '--email', 'ops@example.com', '--config', file], { stdin: password, env: { TEST_MONGO_URL: db.url } })
  t.equal(again.code, 1)
  t.match(again.stderr, /already registered/)

  const app = await buildApp(loadConfig(file, { env: { TEST_MONGO_URL: db.url } }), { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const login = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.com', password })
  })
  t.equal(login.status, 200)
  t.match(await login.json(), { user: { email: 'ops@example.com', roles: ['admin', 'ops'] } })
})

t.test('user add refuses a configuration without a persistent store', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-'))
  const file = join(dir, 'memory.json')
  writeFileSync(file, JSON.stringify({ tokens: { keysDir: './keys' }, routes: [] }))
  const result = await runCli(['user', 'add', '--email', 'x@example.com', '--config', file], { stdin: 'whatever password' })
  t.equal(result.code, 1)
  t.match(result.stderr, /has no store\.mongodb/)
})

t.test('on a terminal: the password is typed without echo, Backspace edits it, Enter ends it, and the user logs in', async (t) => {
  const db = await useTestDatabase(t, 'cli_user_tty')
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-tty-'))
  writeKeysDir(join(dir, 'keys'), [generateKey('EdDSA')])
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, `store: { mongodb: { url: \${TEST_MONGO_URL}, database: ${db.name} } }\ntokens: { keysDir: ./keys }\nroutes: []\n`)
  const password = 'typed-on-a-terminal-7Qx'
  // A typo corrected with Backspace: the stored password must be the corrected one.
  const run = await runInTerminal(['user', 'add', '--email', 'tty@example.com', '--config', file],
    [{ after: /Password: /, send: `${password.slice(0, 10)}#\u007f${password.slice(10)}\r` },
      { after: /Repeat password: /, send: `${password}\r` }],
    { env: { TEST_MONGO_URL: db.url } })
  t.equal(run.code, 0, run.output)
  t.match(run.output, /Password: \r?\nRepeat password: \r?\n/, 'the two prompts, each followed only by a line break')
  t.match(run.output, /created user \S+ \(tty@example\.com\)/)
  for (const fragment of [password, password.slice(0, 10), password.slice(10), '#']) t.notOk(run.output.includes(fragment), `${JSON.stringify(fragment)} never shown`)

  const app = await buildApp(loadConfig(file, { env: { TEST_MONGO_URL: db.url } }), { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const login = async (candidate: string): Promise<number> => (await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'tty@example.com', password: candidate })
  })).status
  t.equal(await login(password), 200, 'the password as corrected')
  t.equal(await login(`${password.slice(0, 10)}#${password.slice(10)}`), 401, 'not with the erased character')
})

t.test('on a terminal: Ctrl-C at the prompt aborts with exit 130, creates nobody and shows nothing typed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-tty-'))
  const file = join(dir, 'authgate.yaml')
  // Never dialled: the store is opened only once the password has been read.
  writeFileSync(file, 'store: { mongodb: { url: \'mongodb://127.0.0.1:1/\' } }\ntokens: { keysDir: ./keys }\nroutes: []\n')
  const run = await runInTerminal(['user', 'add', '--email', 'tty@example.com', '--config', file],
    // Ctrl-C a moment later: with echo on, the terminal would have shown what was typed by then.
    [{ after: /Password: /, send: 'half-typed' }, { after: /Password: /, send: '\u0003', delayMs: 1000 }])
  t.equal(run.code, 130, run.output)
  t.notOk(run.output.includes('half-typed'), 'nothing typed is shown')
  t.notMatch(run.output, /created user|Error/)
})

// The store is never dialled (port 1): the password is settled before it is opened, so nothing can be written.
const UNREACHABLE = 'store: { mongodb: { url: \'mongodb://127.0.0.1:1/\' } }\ntokens: { keysDir: ./keys }\nroutes: []\n'

t.test('on a terminal: two different passwords are refused with exit 1 and nothing is written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-tty-'))
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, UNREACHABLE)
  const run = await runInTerminal(['user', 'add', '--email', 'tty@example.com', '--config', file],
    [{ after: /Password: /, send: 'first-password-1\r' }, { after: /Repeat password: /, send: 'first-password-2\r' }])
  t.equal(run.code, 1, run.output)
  t.match(run.output, /the two passwords typed differ: nothing was written/)
  t.notMatch(run.output, /created user|ECONNREFUSED|store/i, 'the store was not opened')
  t.notOk(run.output.includes('first-password'), 'nothing typed is shown')
})

t.test('on a terminal: Ctrl-D on the empty prompt gives up with exit 1 and creates nobody (cli-password.test.ts checks the mode is restored)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-tty-'))
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, UNREACHABLE)
  const run = await runInTerminal(['user', 'add', '--email', 'tty@example.com', '--config', file],
    [{ after: /Password: /, send: '\u0004' }])
  t.equal(run.code, 1, run.output)
  t.match(run.output, /no password typed \(Ctrl-D\): nothing was written/)
  t.notMatch(run.output, /created user|ECONNREFUSED|Repeat password/)
})

t.test('from a pipe: one line, and an empty, short or multi-line one is refused before the store is opened', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-user-'))
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, UNREACHABLE)
  const cases: Array<[string, RegExp]> = [
    ['', /the password is empty: nothing was written/],
    ['\n', /the password is empty: nothing was written/],
    ['short\n', /the password must hold 8 to 1024 characters \(it has 5\): nothing was written/],
    ['secret12\nsecret12\n', /the password on stdin must be one line: nothing was written/]
  ]
  for (const [stdin, message] of cases) {
    const run = await runCli(['user', 'add', '--email', 'x@example.com', '--config', file], { stdin })
    t.equal(run.code, 1, JSON.stringify(stdin))
    t.match(run.stderr, message, JSON.stringify(stdin))
    t.notMatch(run.stderr, /ECONNREFUSED|Repeat/)
  }
})
