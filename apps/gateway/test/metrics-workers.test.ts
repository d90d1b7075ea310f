// Issue #16: with `server.workers: 2`, one /metrics scrape reports every worker's requests (before, each scrape
// showed the one worker that answered it), on the operations listener the workers share; the public listener
// answers 404 for the operational paths.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { spawnCli, waitForLine } from './cli-helpers.js'
import { startUpstream } from './helpers.js'
import { freePort } from '@authgate/test-kit/ports'

// Two workers and a primary, each compiling the sources through the loader: slow on a loaded machine.
t.setTimeout(300_000)

/** A GET on a connection of its own (no keep-alive), so node:cluster hands each to the next worker in turn. */
async function get (url: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: 'close' } }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

function sample (text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1))
}

t.test('2 workers: every scrape reports all N requests, on the shared ops listener', async (t) => {
  const upstream = await startUpstream(t)
  const dir = mkdtempSync(join(tmpdir(), 'authgate-metrics-workers-'))
  writeKeysDir(join(dir, 'keys'), [generateKey('EdDSA')])
  const port = await freePort()
  const opsPort = await freePort()
  const file = join(dir, 'authgate.json')
  writeFileSync(file, JSON.stringify({
    server: { port, workers: 2, ops: { host: '127.0.0.1', port: opsPort } },
    log: { level: 'warn' },
    tokens: { keysDir: join(dir, 'keys') },
    routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }]
  }))
  const child = spawnCli(['start', '--config', file])
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  await waitForLine(child, /starting 2 workers/, 180_000)
  const ops = `http://127.0.0.1:${opsPort}`
  // One worker answering (180 s bound: a loaded machine), then both within 30 s (they start side by side).
  for (const until = Date.now() + 180_000; Date.now() < until;) {
    if ((await get(`${ops}/healthz`).catch(() => ({ status: 0 }))).status === 200) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  let reporting = 0
  for (const until = Date.now() + 30_000; reporting < 2 && Date.now() < until;) {
    const scrape = await get(`${ops}/metrics`).catch(() => ({ status: 0, body: '' }))
    reporting = scrape.status === 200 ? sample(scrape.body, 'authgate_workers_reporting') : 0
    if (reporting < 2) await new Promise((resolve) => setTimeout(resolve, 250))
  }
  t.equal(reporting, 2, `both workers report (${stderr})`)

  const N = 20
  for (let index = 0; index < N; index++) t.equal((await get(`http://127.0.0.1:${port}/public/item/${index}`)).status, 200)
  t.equal(upstream.seen.length, N)
  // Scrapes land on either worker: each reports all N.
  for (let scrape = 0; scrape < 4; scrape++) {
    const { status, body } = await get(`${ops}/metrics`)
    t.equal(status, 200)
    t.equal(sample(body, 'authgate_requests_total{route="/public",status="200"}'), N, `scrape ${scrape + 1}: all ${N} requests`)
    t.equal(sample(body, 'authgate_upstream_response_seconds_count{route="/public"}'), N)
    t.equal(sample(body, 'authgate_workers_reporting'), 2)
    t.match(body, /^authgate_build_info\{version="[^"]+",node="v[^"]+"\} 1$/m, 'build info once, not summed')
  }
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    t.equal((await get(`http://127.0.0.1:${port}${path}`)).status, 404, `${path}: 404 on the public listener`)
    t.equal((await get(`${ops}${path}`)).status, 200, `${path}: 200 on the ops listener`)
  }
  t.notMatch(stderr, /metrics_cluster_unavailable|scrape refused/, 'no refused scrape')
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
})
