#!/usr/bin/env node
// The one test command (`pnpm test`): starts the test database (and a test Redis, for the shared rate limits), runs
// every tap test file of the workspace against them, stops both whatever happens (success, failure, Ctrl-C), and ends
// with one line `N passed, N failed`.
// Extra arguments go to tap, e.g. `pnpm test packages/auth/test/login.test.ts`, relative to the repository root
// whatever the working directory (each package's `pnpm test` runs its own test folder through this file).
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestDatabase } from './kit/mongo/test-database.mjs'
import { startTestRedis } from './kit/redis/test-redis.mjs'
import { TapTally } from './tap-tally.mjs'
import { measuredLines, readFloor, verdict } from './coverage-floor.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
// tap exports no bin path: resolve its package.json and follow the `bin` field.
const tapPackage = require.resolve('tap/package.json', { paths: [ROOT] })
const tapBin = join(dirname(tapPackage), require(tapPackage).bin.tap)

const db = await startTestDatabase()
console.log(`# test database: ${db.kind} at ${db.url}` + (db.pid ? ` (pid ${db.pid})` : ''))

let redis = null
try {
  redis = await startTestRedis()
} catch (error) {
  await db.stop()
  throw error
}
if (redis === null) console.log('# test redis: none (no REDIS_URL, no redis-server on PATH): the tests that need it skip, or fail with CI set')
else console.log(`# test redis: ${redis.kind} at ${redis.url}` + (redis.pid ? ` (pid ${redis.pid})` : ''))

let stopping = null
// Both servers, whatever the exit path (every path below calls this once).
const stopServers = () => (stopping ??= Promise.all([db.stop(), redis?.stop()]))

// The whole suite measures coverage and holds it to the floor (./coverage-floor.mjs); a run of chosen files does not
// (a part of the suite covers a part of the code, and the instrumentation only slows it down).
const files = process.argv.slice(2)
const wholeSuite = files.length === 0
const coverageArgs = wholeSuite ? ['--coverage-report=json-summary', '--coverage-report=text-summary'] : ['--disable-coverage']
// A report left by an earlier run must not stand in for this one's.
if (wholeSuite) rmSync(join(ROOT, '.tap/report/coverage-summary.json'), { force: true })
const child = spawn(process.execPath, [tapBin, '--reporter=tap', ...coverageArgs, ...files], {
  env: { ...process.env, MONGODB_URL: db.url, AUTHGATE_TEST_DB_KIND: db.kind, ...(redis === null ? {} : { REDIS_URL: redis.url }) },
  stdio: ['ignore', 'pipe', 'inherit'],
  cwd: ROOT
})

// Ctrl-C or a CI kill: pass it on to tap, then stop the database and Redis before exiting.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    child.kill(signal)
    stopServers().finally(() => process.exit(130))
  })
}
// A reader that goes away (`… | head`) makes the next write fail with EPIPE: stop the servers rather than crash
// and leave them running.
process.stdout.on('error', () => {
  child.kill('SIGTERM')
  stopServers().finally(() => process.exit(1))
})

const tally = new TapTally()
const lines = createInterface({ input: child.stdout })
lines.on('line', (line) => {
  process.stdout.write(line + '\n')
  tally.push(line)
})

const exitCode = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)))
await stopServers()
const { passed, skipped } = tally.totals(exitCode)
let { failed } = tally.totals(exitCode)
console.log(`# test database used: ${db.kind}`)
if (wholeSuite) {
  const coverage = verdict(measuredLines(ROOT), readFloor(ROOT))
  console.log(`# ${coverage.message}`)
  if (!coverage.ok) failed++
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''))
process.exit(exitCode === 0 && failed === 0 && passed > 0 ? 0 : 1)
