// Issue #12 item 4, one CLI grammar (in-process; cli.test.ts runs the real command): every verb is parsed strictly,
// so unknown flags and stray arguments are usage errors (exit 2) with the verb's usage and a suggestion where one is
// close; -h/--help on every verb and sub-verb prints usage, exits 0 and starts, writes or dials nothing.
import t from 'tap'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runMain, type MainRun } from './cli-helpers.js'
// Loaded before any timed run: compiling the sources on a loaded machine can take longer than the bound below (main
// imports each command's module only once its verb is run).
import '../src/cli/main.js'
import '../src/cli/start.js'
import '../src/cli/keys.js'
import '../src/cli/keys-ring.js'
import '../src/cli/users.js'
import '../src/cli/config-check.js'
import '../src/cli/doctor.js'
import { freePort } from '@authgate/test-kit/ports'

const dir = mkdtempSync(join(tmpdir(), 'authgate-grammar-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

/** A TCP listener that only counts who connects: the database, Redis and the gateway `doctor` would probe. */
async function listener (): Promise<{ server: Server, port: number, connections: () => number }> {
  let connections = 0
  const server = createServer((socket) => { connections++; socket.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => { resolve() })))
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections }
}

/** main(argv), failing instead of hanging when the command starts something that never returns (a server). */
async function bounded (argv: string[], ms = 15_000): Promise<MainRun | 'still running'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'still running'>((resolve) => { timer = setTimeout(() => { resolve('still running') }, ms) })
  try {
    return await Promise.race([runMain(...argv), timeout])
  } finally {
    clearTimeout(timer)
  }
}

t.test('-h/--help on every verb and sub-verb, before or after it, prints usage, exits 0, and starts, writes or dials nothing', async (t) => {
  const dialled = await listener()
  const port = await freePort()
  const workdir = mkdtempSync(join(dir, 'cwd-'))
  const file = join(dir, 'help.yaml')
  // Everything a verb could reach: the store and Redis on the counting listener, the gateway's own port free.
  writeFileSync(file, `server: { port: ${port} }\nstore: { mongodb: { url: 'mongodb://127.0.0.1:${dialled.port}/' } }\n` +
    `rateLimit: { redis: 'redis://127.0.0.1:${dialled.port}' }\ntokens: { keyStore: database, keyEncryptionKey: ${'ab'.repeat(32)} }\nroutes:\n  - { prefix: /api, upstream: 'http://127.0.0.1:${dialled.port}' }\n`)
  const before = readFileSync(file, 'utf8')
  // The third item: a sibling sub-verb's usage, which the answer must not contain (the group's usage holds both).
  const cases: Array<[string[], string, string?]> = [
    [['start', '--help'], 'authgate start'],
    [['start', '-h'], 'authgate start'],
    [['start', '--config', file, '--help'], 'authgate start'],
    [['start', '--port', String(port), '-h'], 'authgate start'],
    [['start', 'my.yaml', '--help'], 'authgate start'],
    [['start', '--confg', file, '--help'], 'authgate start'],
    [['keygen', '--help'], 'authgate keygen'],
    [['keygen', '--out', join(workdir, 'keys'), '-h'], 'authgate keygen'],
    [['keys', '--help'], 'authgate keys'],
    [['keys', 'rotate', '-h', '--config', file], 'authgate keys'],
    [['keys', 'list', '--config', file, '--help'], 'authgate keys'],
    [['keys', 'retire', '--kid', 'k1', '--config', file, '-h'], 'authgate keys'],
    [['token', '--help'], 'authgate token'],
    [['token', '--config', file, '--sub', 'u1', '-h'], 'authgate token'],
    [['user', '--help'], 'authgate user add'],
    [['user', 'add', '--help'], 'authgate user add', 'authgate user revoke-sessions'],
    [['user', 'add', '--email', 'a@example.com', '--config', file, '-h'], 'authgate user add', 'authgate user revoke-sessions'],
    [['user', 'revoke-sessions', '--help'], 'authgate user revoke-sessions', 'authgate user add'],
    [['user', 'revoke-sessions', '--id', 'u1', '--config', file, '-h'], 'authgate user revoke-sessions', 'authgate user add'],
    [['config', '--help'], 'authgate config check'],
    [['config', 'check', '--help'], 'authgate config check'],
    [['config', 'check', file, '-h'], 'authgate config check'],
    [['doctor', '--help'], 'authgate doctor'],
    [['doctor', '--config', file, '--url', `http://127.0.0.1:${dialled.port}`, '-h'], 'authgate doctor'],
    [['help', 'start'], 'authgate start'],
    [['--help'], 'authgate <command>'],
    [['-h'], 'authgate <command>'],
    // Help before the verb (issue #12 review): the verb's usage all the same, and still nothing started.
    [['-h', 'start'], 'authgate start'],
    [['--help', 'start', '--config', file, '--port', String(port)], 'authgate start'],
    [['-h', 'keygen', '--out', join(workdir, 'keys')], 'authgate keygen'],
    [['-h', 'user', 'add', '--email', 'a@example.com', '--config', file], 'authgate user add', 'authgate user revoke-sessions'],
    [['--help', 'keys', 'rotate', '--config', file], 'authgate keys'],
    [['-h', 'doctor', '--config', file, '--url', `http://127.0.0.1:${dialled.port}`], 'authgate doctor'],
    [['help', 'user', 'revoke-sessions'], 'authgate user revoke-sessions', 'authgate user add'],
    [['help', 'config', 'check'], 'authgate config check'],
    [['-h', 'help', 'token'], 'authgate token'],
    [['help'], 'authgate <command>'],
    [['--version', '-h'], 'authgate <command>'],
    [['-V', '--help'], 'authgate <command>'],
    [['-h', '--verison'], 'authgate <command>']
  ]
  const cwd = process.cwd()
  process.chdir(workdir)
  try {
    for (const [argv, usage, sibling] of cases) {
      const run = await bounded(argv)
      if (run === 'still running') {
        // A server started in this process keeps running: stop here, the failure says why.
        t.fail(`${argv.join(' ')}: did not return (it started something)`)
        break
      }
      t.equal(run.code, 0, `${argv.join(' ')}: exit 0 (${run.stderr.trim()})`)
      t.ok(run.stdout.startsWith(`Usage: ${usage}`), `${argv.join(' ')}: prints its usage`)
      if (sibling !== undefined) t.notMatch(run.stdout, sibling, `${argv.join(' ')}: its own usage, not the group's`)
      t.equal(run.stderr, '', `${argv.join(' ')}: nothing on stderr`)
    }
  } finally {
    process.chdir(cwd)
  }
  t.equal(dialled.connections(), 0, 'no database, Redis, upstream or gateway was contacted')
  t.same(readdirSync(workdir), [], 'nothing written to the working directory (keygen\'s ./keys, start\'s .authgate-dev)')
  t.equal(readFileSync(file, 'utf8'), before, 'the configuration file is untouched')
  const probe = createServer()
  await t.resolves(new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(port, '127.0.0.1', resolve) }), 'server.port was never bound')
  await new Promise<void>((resolve) => probe.close(() => { resolve() }))
})

t.test('unknown flags: exit 2 with the verb\'s usage, and the flag meant when one is close', async (t) => {
  const cases: Array<[string[], RegExp, string]> = [
    [['start', '--confg', 'x.yaml'], /unknown option --confg \(did you mean --config\?\)/, 'Usage: authgate start'],
    [['start', '--prot', '9000'], /unknown option --prot \(did you mean --port\?\)/, 'Usage: authgate start'],
    [['start', '-config', 'x.yaml'], /unknown option -config \(did you mean --config\?\)/, 'Usage: authgate start'],
    [['start', '-x'], /unknown option -x/, 'Usage: authgate start'],
    [['token', '--config', 'x.yaml', '--sub', 'u1', '--role', 'admin'], /unknown option --role \(did you mean --roles\?\)/, 'Usage: authgate token'],
    [['keygen', '--alogrithm', 'EdDSA'], /unknown option --alogrithm/, 'Usage: authgate keygen'],
    [['doctor', '--config', 'x.yaml', '--stric'], /unknown option --stric \(did you mean --strict\?\)/, 'Usage: authgate doctor'],
    [['config', 'check', 'x.yaml', '--strcit'], /unknown option --strcit \(did you mean --strict\?\)/, 'Usage: authgate config check'],
    [['config', 'check', 'x.yaml', '--strict=yes'], /--strict takes no value/, 'Usage: authgate config check'],
    [['user', 'add', '--emial', 'a@example.com'], /unknown option --emial \(did you mean --email\?\)/, 'Usage: authgate user'],
    [['user', 'add', '--email', 'a@example.com', '--id', 'u1'], /--id is only for user list, user show, .*user revoke-sessions/, 'Usage: authgate user add'],
    [['user', 'revoke-sessions', '--id', 'u1', '--roles', 'a'], /--roles is only for user add/, 'Usage: authgate user revoke-sessions'],
    [['keys', 'list', '--config', 'x.yaml', '--force'], /--force is only for keys rotate/, 'Usage: authgate keys'],
    [['token', '--config', '--sub', 'u1'], /--config needs a value \(got --sub/, 'Usage: authgate token'],
    [['token', '--sub', 'u1', '--config'], /--config needs a value/, 'Usage: authgate token'],
    [['token', '--sub', 'u1', '--config='], /--config needs a value/, 'Usage: authgate token'],
    [['start', '--config', 'a.yaml', '--config', 'b.yaml'], /--config is given more than once/, 'Usage: authgate start'],
    [['start', '--port', 'eighty'], /--port must be a whole number from 0 to 65535/, 'Usage: authgate start'],
    [['start', '--port', '65536'], /--port must be a whole number/, 'Usage: authgate start'],
    [['start', '--host', 'not a host'], /--host must be an IP address or a host name/, 'Usage: authgate start'],
    [['strat'], /unknown command strat \(did you mean start\?\)/, 'Usage: authgate <command>'],
    [['help', 'strat'], /unknown command strat \(did you mean start\?\)/, 'Usage: authgate <command>'],
    [['-h', 'strat'], /unknown command strat \(did you mean start\?\)/, 'Usage: authgate <command>'],
    [['--verison'], /unknown option --verison/, 'Usage: authgate <command>'],
    [['user', 'ad'], /unknown user command ad \(did you mean user add\?\)/, 'Usage: authgate user'],
    [['keys'], /which keys command\?/, 'Usage: authgate keys']
  ]
  for (const [argv, message, usage] of cases) {
    const run = await bounded(argv)
    if (run === 'still running') {
      t.fail(`${argv.join(' ')}: did not return`)
      break
    }
    t.equal(run.code, 2, `${argv.join(' ')}: exit 2`)
    t.match(run.stderr, message, `${argv.join(' ')}: ${run.stderr.split('\n')[0] ?? ''}`)
    t.match(run.stderr, usage, `${argv.join(' ')}: with the usage`)
    t.equal(run.stdout, '', `${argv.join(' ')}: nothing on stdout`)
  }
})

t.test('stray positionals are usage errors on every verb; a config file given bare gets `did you mean --config FILE?`', async (t) => {
  const existing = join(dir, 'gateway-settings')
  writeFileSync(existing, 'routes: []\n')
  const cases: Array<[string[], RegExp]> = [
    [['token', 'my.yaml', '--sub', 'u1'], /unexpected argument my\.yaml \(did you mean --config my\.yaml\?\)/],
    [['token', '--sub', 'u1', 'conf.JSON'], /unexpected argument conf\.JSON \(did you mean --config conf\.JSON\?\)/],
    [['doctor', 'gw.yml'], /unexpected argument gw\.yml \(did you mean --config gw\.yml\?\)/],
    [['doctor', existing], new RegExp(`unexpected argument ${existing} \\(did you mean --config ${existing}\\?\\)`)],
    [['user', 'add', '--email', 'a@example.com', 'my.yaml'], /unexpected argument my\.yaml \(did you mean --config my\.yaml\?\)/],
    [['user', 'revoke-sessions', '--id', 'u1', 'my.yaml'], /did you mean --config my\.yaml\?/],
    [['keys', 'rotate', 'my.yaml'], /did you mean --config my\.yaml\?/],
    [['token', '--sub', 'u1', 'my file.yaml'], /did you mean --config 'my file\.yaml'\?/],
    [['token', '--config', 'x.yaml', '--sub', 'u1', 'extra'], /unexpected argument extra$/m],
    [['doctor', '--config', 'x.yaml', 'now'], /unexpected argument now$/m],
    [['keygen', 'keys'], /unexpected argument keys$/m],
    [['config', 'check', 'a.yaml', 'b.yaml'], /unexpected argument b\.yaml$/m],
    [['config', 'check'], /authgate config: FILE or --config FILE is required\n\nUsage: authgate config check FILE \[--strict\]\n {7}authgate config check --config FILE/],
    [['config', 'check', '--strict'], /FILE or --config FILE is required/],
    [['config', 'check', 'a.yaml', '--config', 'b.yaml'], /the file is named twice \(a\.yaml and --config b\.yaml\): give FILE or --config FILE/],
    [['token', '--sub', 'u1'], /authgate token: --config FILE is required$/m],
    [['doctor'], /authgate doctor: --config FILE is required$/m],
    [['keys', 'list'], /authgate keys: --config FILE is required$/m],
    [['user', 'add', 'extra', '--email', 'a@example.com'], /unexpected argument extra$/m],
    [['--version', 'extra'], /unexpected argument extra/]
  ]
  for (const [argv, message] of cases) {
    const run = await bounded(argv)
    if (run === 'still running') {
      t.fail(`${argv.join(' ')}: did not return`)
      break
    }
    t.equal(run.code, 2, `${argv.join(' ')}: exit 2`)
    t.match(run.stderr, message, `${argv.join(' ')}: ${run.stderr.split('\n')[0] ?? ''}`)
    t.match(run.stderr, 'Usage: authgate', `${argv.join(' ')}: with the usage`)
  }
})

t.test('--version and -V print the gateway package\'s version', async (t) => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  for (const flag of ['--version', '-V']) {
    const run = await runMain(flag)
    t.equal(run.code, 0)
    t.equal(run.stdout, `${version}\n`, flag)
  }
})

t.test('the user verbs without --config or MONGODB_URL: the same usage error as every verb, before any password is read', async (t) => {
  const saved = process.env.MONGODB_URL
  delete process.env.MONGODB_URL
  t.teardown(() => { if (saved !== undefined) process.env.MONGODB_URL = saved })
  const cases: Array<[string[], string, string]> = [
    [['user', 'add', '--email', 'a@example.com'], 'authgate user add', 'authgate user revoke-sessions'],
    [['user', 'revoke-sessions', '--id', 'u1'], 'authgate user revoke-sessions', 'authgate user add']
  ]
  for (const [argv, usage, sibling] of cases) {
    const run = await bounded(argv)
    if (run === 'still running') {
      t.fail(`${argv.join(' ')}: did not return`)
      break
    }
    t.equal(run.code, 2, `${argv.join(' ')}: exit 2`)
    t.match(run.stderr, /authgate user: --config FILE is required \(with store\.mongodb\), or set MONGODB_URL$/m, argv.join(' '))
    t.match(run.stderr, `\n\nUsage: ${usage}`, `${argv.join(' ')}: with the sub-verb's usage`)
    t.notMatch(run.stderr, sibling, `${argv.join(' ')}: not the whole group's`)
  }
})
