// docs/design.md#failure-behaviour, "a process restart (SIGTERM)", on the real `authgate start` process (TypeScript
// sources in a child process, keys in a keys folder, sessions in MongoDB): SIGTERM while a request is in flight lets it
// finish and exits 0; the gateway started again with the same configuration accepts the access tokens issued before,
// rotates the refresh tokens issued before, and keeps refusing the sessions that were logged out before.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { spawnCli, waitForLine } from '../../apps/gateway/test/cli-helpers.js'
import { startUpstream } from '../../apps/gateway/test/helpers.js'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, login, logout, refresh, register } from './helpers/app.js'
import { freePort } from '@authgate/test-kit/ports'

const { url, name: database } = await useTestDatabase(t, 'sigterm')
const dir = mkdtempSync(join(tmpdir(), 'authgate-sigterm-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
const keys = join(dir, 'keys')
writeKeysDir(keys, [generateKey('EdDSA', 'sigterm-eddsa')])

async function startGatewayProcess (t: { teardown (fn: () => unknown): void }, file: string): Promise<ChildProcess> {
  const child = spawnCli(['start', '--config', file])
  // Only this child, by its own handle, and only if the test left it running.
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  await waitForLine(child, /authgate listening on http:\/\/127\.0\.0\.1:\d+/, 90_000)
  return child
}

t.test('the gateway process stopped with SIGTERM and started again keeps every session: tokens issued before still work', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    const delay = request.url?.includes('slow') === true ? 1200 : 0
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ user: request.headers['x-user-id'] ?? null }))
    }, delay)
  })
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const file = join(dir, 'gateway.json')
  writeFileSync(file, JSON.stringify({
    server: { port }, log: { level: 'warn' },
    store: { mongodb: { url, database } },
    tokens: { keysDir: keys, issuer: 'authgate-sigterm', audience: 'upstream' },
    cookie: { secure: false },
    auth: { registration: true },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }]
  }))

  const first = await startGatewayProcess(t, file)
  t.equal((await register(base, 'restart@example.com')).status, 201)
  const alice = await login(base, 'restart@example.com')
  t.equal(alice.status, 200)
  const rotated = await refresh(base, alice.rt!)
  t.equal(rotated.status, 200, 'a rotation before the restart')
  const ended = await login(base, 'restart@example.com')
  t.equal((await logout(base, ended.rt!)).status, 204, 'a logout before the restart')
  const userId = String(alice.body.user.id)

  const inFlight = call(base, '/api/slow', { bearer: String(rotated.body.accessToken), timeoutMs: 20_000 })
  t.ok(await new Promise<boolean>((resolve) => {
    const started = Date.now()
    const poll = setInterval(() => { if (upstream.seen.length > 0 || Date.now() - started > 10_000) { clearInterval(poll); resolve(upstream.seen.length > 0) } }, 20)
  }), 'a request is in flight at the upstream')
  const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => { resolve(code) }))
  first.kill('SIGTERM')
  const drained = await inFlight
  t.equal(drained.status, 200, 'the request in flight is answered')
  t.equal(drained.body.user, userId, 'for the right user')
  t.equal(await exited, 0, 'the process exits 0')

  await startGatewayProcess(t, file)
  const me = await call(base, '/api/whoami', { bearer: String(rotated.body.accessToken) })
  t.equal(me.status, 200, 'an access token issued before the restart is accepted')
  t.equal(me.body.user, userId)
  const again = await refresh(base, rotated.rt!)
  t.equal(again.status, 200, `the refresh token issued before the restart rotates (${again.status} ${again.body?.code})`)
  t.ok(again.rt !== undefined && again.rt !== rotated.rt, 'to a new one')
  t.equal((await call(base, '/api/whoami', { bearer: String(again.body.accessToken) })).status, 200, 'whose access token works')
  const stillEnded = await refresh(base, ended.rt!)
  t.equal(stillEnded.status, 401, 'a session logged out before the restart stays over')
  t.equal(stillEnded.body?.code, 'AUTH_REFRESH_INVALID')
  const endedAccess = await call(base, '/api/whoami', { bearer: String(ended.body.accessToken) })
  t.equal(endedAccess.status, 401, 'and its access token is refused')
  t.equal(endedAccess.body?.code, 'AUTH_SESSION_REVOKED')
})
