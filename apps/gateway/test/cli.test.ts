// The real `authgate` command in child processes (TypeScript source through tap's loader): exit codes as a shell
// sees them, `token` output a running gateway accepts, and a graceful SIGTERM that lets a slow request finish.
// In-process coverage of every option is in cli-commands.test.ts.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { runCli, spawnCli, waitForLine } from './cli-helpers.js'
import { startUpstream } from './helpers.js'
import { useTestDatabase } from '@authgate/test-kit/database'
import { freePort } from '@authgate/test-kit/ports'

// About fifteen CLI processes, each compiling the TypeScript sources through tap's loader: 40 s on a quiet machine,
// 258 s seen at load 7 on 2 cores, so the bound is generous.
t.setTimeout(600_000)
const dir = mkdtempSync(join(tmpdir(), 'authgate-cli-'))
const keys = join(dir, 'keys')
writeKeysDir(keys, [generateKey('EdDSA')])

function writeConfig (name: string, config: Record<string, unknown> | string): string {
  const path = join(dir, name)
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config))
  return path
}

t.test('config check exit codes: 0 valid, 1 invalid, 2 usage', async (t) => {
  const good = writeConfig('good.yaml', `tokens: { keysDir: ${keys} }\nroutes:\n  - { prefix: /api, upstream: http://127.0.0.1:1 }\n`)
  const ok = await runCli(['config', 'check', good])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /: ok \(/)
  const bad = await runCli(['config', 'check', writeConfig('bad.yaml', `tokens: { keysDir: ${keys} }\nrouts: []\n`)])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /routs: unknown key \(did you mean routes\?\)/)
  t.equal((await runCli(['config'])).code, 2)
})

t.test('token: the printed token is accepted by a gateway started with `authgate start`', async (t) => {
  const upstream = await startUpstream(t)
  const port = await freePort()
  const file = writeConfig('token.json', { server: { port }, log: { level: 'warn' }, tokens: { keysDir: keys }, routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }] })
  const minted = await runCli(['token', '--config', file, '--sub', 'u42', '--roles', 'admin,ops'])
  t.equal(minted.code, 0, minted.stderr)
  t.match(minted.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/)
  t.equal((await runCli(['token', '--config', file])).code, 2, 'missing --sub')

  const child = spawnCli(['start', '--config', file])
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await waitForLine(child, /authgate listening on http:\/\/127\.0\.0\.1:\d+/)
  const answer = await fetch(`http://127.0.0.1:${port}/api/x`, { headers: { authorization: `Bearer ${minted.stdout.trim()}` } })
  t.equal(answer.status, 200)
  t.equal(upstream.seen[0]?.headers['x-user-id'], 'u42')
  t.equal(upstream.seen[0]?.headers['x-user-roles'], 'admin,ops')
  t.equal((await fetch(`http://127.0.0.1:${port}/api/x`)).status, 401)

  // While it runs: doctor's probes find nothing reaching the upstream.
  const doctor = await runCli(['doctor', '--config', file])
  t.match(doctor.stdout, /probes against http:\/\/127\.0\.0\.1/)
  t.notMatch(doctor.stdout, /FAILED/)
  t.equal(upstream.seen.length, 1, 'no probe reached the upstream')
  child.kill('SIGTERM')
})

t.test('SIGTERM during a slow request: the request completes, then the process exits 0', async (t) => {
  const upstream = await startUpstream(t)
  // The upstream answers only when the test says so (after the SIGTERM): fixed delays failed on a loaded machine.
  let release = (): void => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  upstream.handle((request, response) => {
    request.resume()
    void released.then(() => { response.end('slow but complete') })
  })
  const port = await freePort()
  const file = writeConfig('sigterm.json', { server: { port }, log: { level: 'warn' }, tokens: { keysDir: keys }, routes: [{ prefix: '/slow', upstream: upstream.url, auth: 'none' }] })
  const child = spawnCli(['start', '--config', file])
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await waitForLine(child, /authgate listening on http:\/\/127\.0\.0\.1:\d+/)
  const pending = fetch(`http://127.0.0.1:${port}/slow/x`)
  for (let waited = 0; upstream.seen.length === 0 && waited < 60_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(upstream.seen.length, 1, 'the request is in flight')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  child.kill('SIGTERM')
  // Long enough for the signal to have started the shutdown; the request must still complete.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.equal(child.exitCode, null, 'still running while the request is in flight')
  release()
  const answer = await pending
  t.equal(answer.status, 200)
  t.equal(await answer.text(), 'slow but complete')
  t.equal(await exited, 0, 'a clean exit')
  await t.rejects(fetch(`http://127.0.0.1:${port}/slow/x`), 'no longer listening')
})

t.test('a start that cannot listen (port in use) exits 1 promptly, with one worker or several, and a MongoDB store', async (t) => {
  const db = await useTestDatabase(t, 'cli_busy')
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => { resolve() })))
  const { port } = busy.address() as AddressInfo
  // With a MongoDB store the open driver connection kept a single process alive; with workers the primary kept
  // re-forking workers that could not listen.
  for (const [name, workers, store] of [['in-memory', 1, undefined], ['in-memory', 2, undefined], ['mongodb', 1, { mongodb: { url: db.url, database: db.name } }]] as const) {
    const file = writeConfig(`busy-${name}-${workers}.json`, { server: { port, workers }, log: { level: 'warn' }, ...(store === undefined ? {} : { store }), tokens: { keysDir: keys }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] })
    const started = Date.now()
    const child = spawnCli(['start', '--config', file])
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    let stderr = ''
    let failedAt = 0
    // Before the fix the process stayed alive (workers: 1) or the primary re-forked failing workers forever.
    // Starting processes from the sources takes a while on a loaded machine, so the 5 s bound counts from the
    // failure (EADDRINUSE reported), not from the spawn; 180 s bounds a start that never gets that far.
    const code = await new Promise<number | null>((resolve) => {
      const startLimit = setTimeout(() => { resolve(-1) }, 180_000)
      let exitLimit: NodeJS.Timeout | undefined
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        if (failedAt === 0 && stderr.includes('EADDRINUSE')) {
          failedAt = Date.now()
          exitLimit = setTimeout(() => { resolve(-2) }, 5_000)
        }
      })
      child.once('exit', (exitCode) => { clearTimeout(startLimit); clearTimeout(exitLimit); resolve(exitCode) })
    })
    t.equal(code, 1, `${name}, workers: ${workers}: exit code 1 (${Date.now() - started} ms after spawning)`)
    t.match(stderr, /EADDRINUSE/, 'the reason is reported')
    t.ok(failedAt !== 0 && Date.now() - failedAt < 5_000, `exited ${Date.now() - failedAt} ms after the failure`)
  }
})
