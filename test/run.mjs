#!/usr/bin/env node
// The one test command (`pnpm test`): starts the test database (and a test Redis, for the shared rate limits), runs
// every tap test file of the workspace against them, stops both whatever happens (success, failure, Ctrl-C), and ends
// with one line `N passed, N failed`.
// Extra arguments go to tap, e.g. `pnpm test packages/auth/test/login.test.ts`.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { startTestDatabase } from './mongo/test-database.mjs'
import { startTestRedis } from './redis/test-redis.mjs'
import { TapTally } from './tap-tally.mjs'

const require = createRequire(import.meta.url)
// tap exports no bin path: resolve its package.json and follow the `bin` field.
const tapPackage = require.resolve('tap/package.json', { paths: [process.cwd()] })
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

const child = spawn(process.execPath, [tapBin, '--reporter=tap', ...process.argv.slice(2)], {
  env: { ...process.env, MONGODB_URL: db.url, AUTHGATE_TEST_DB_KIND: db.kind, ...(redis === null ? {} : { REDIS_URL: redis.url }) },
  stdio: ['ignore', 'pipe', 'inherit']
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
const { passed, failed, skipped } = tally.totals(exitCode)
console.log(`# test database used: ${db.kind}`)
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''))
process.exit(exitCode === 0 && failed === 0 && passed > 0 ? 0 : 1)
