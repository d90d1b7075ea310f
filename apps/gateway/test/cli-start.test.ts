// `authgate start` and its arguments in child processes (issue #12 item 4): a configuration file given without
// --config is refused rather than starting the embedded demo, and --port/--host override the file's server.port and
// server.host. In-process coverage of the grammar is in cli-grammar.test.ts.
import t from 'tap'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { spawnCli, waitForLine, type CliRun } from './cli-helpers.js'
import { freePort } from '@authgate/test-kit/ports'

// Each CLI process compiles the TypeScript sources through tap's loader: slow on a loaded machine.
t.setTimeout(300_000)
const dir = mkdtempSync(join(tmpdir(), 'authgate-cli-start-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
const keys = join(dir, 'keys')
writeKeysDir(keys, [generateKey('EdDSA')])

function writeConfig (name: string, config: Record<string, unknown>): string {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(config))
  return path
}

/** runCli, but a command that starts serving instead of exiting is killed after `ms` (code null). */
async function runBounded (args: string[], options: { cwd?: string } = {}, ms = 90_000): Promise<CliRun> {
  const child = spawnCli(args, options)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdin?.end()
  const timer = setTimeout(() => { child.kill('SIGKILL') }, ms)
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) }))
}

t.test('`authgate start my.yaml` is refused with `did you mean --config my.yaml?` instead of starting the demo', async (t) => {
  const cwd = mkdtempSync(join(dir, 'cwd-'))
  writeFileSync(join(cwd, 'my.yaml'), `tokens: { keysDir: ${keys} }\nroutes: []\n`)
  const run = await runBounded(['start', 'my.yaml'], { cwd })
  t.equal(run.code, 2, `exit 2 (${run.stdout})`)
  t.match(run.stderr, /authgate start: unexpected argument my\.yaml \(did you mean --config my\.yaml\?\)/)
  t.match(run.stderr, /Usage: authgate start/)
  t.notMatch(run.stdout, /running|listening/, 'nothing started')
  t.notOk(existsSync(join(cwd, '.authgate-dev')), 'the demo\'s development keys were not written')
})

t.test('--port and --host override server.port and server.host of the file; registration stays off by default', async (t) => {
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => { resolve() })))
  const filePort = (busy.address() as AddressInfo).port
  // The file names a port that is taken and an address that is not this machine's: only the flags can make it listen.
  const file = writeConfig('override.json', { server: { port: filePort, host: '192.0.2.1' }, log: { level: 'warn' }, tokens: { keysDir: keys }, routes: [] })
  const port = await freePort()
  const child = spawnCli(['start', '--config', file, '--port', String(port), '--host', '127.0.0.1'])
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const line = await waitForLine(child, /authgate listening on /)
  t.equal(line.trim(), `authgate listening on http://127.0.0.1:${port}`)
  t.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200)
  const register = await fetch(`http://127.0.0.1:${port}/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'stranger@example.com', password: 'a long enough password' })
  })
  t.equal(register.status, 404, 'no auth.registration in the file: self-registration is off')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})

t.test('a MongoDB url the driver refuses stops `start` with the driver\'s message, not a gateway that answers 503', async (t) => {
  const file = writeConfig('bad-mongo-url.json', {
    server: { port: await freePort(), host: '127.0.0.1' }, log: { level: 'warn' }, tokens: { keysDir: keys }, routes: [],
    store: { mongodb: { url: 'mongodb://127.0.0.1/?tls=maybe', database: 'authgate' } }
  })
  const run = await runBounded(['start', '--config', file], {}, 60_000)
  t.not(run.code, null, 'it exited instead of serving')
  t.not(run.code, 0)
  t.match(run.stderr, /tls/i, 'the driver\'s message names the option')
  t.notMatch(run.stderr + run.stdout, /listening|store unavailable|AUTH_STORE_UNAVAILABLE/)
})
