#!/usr/bin/env node
// The one test command (`pnpm test`): starts the test database, runs every tap test file of the workspace against it,
// stops the database whatever happens (success, failure, Ctrl-C), and ends with one line `N passed, N failed`.
// Extra arguments go to tap, e.g. `pnpm test packages/auth/test/login.test.ts`.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { startTestDatabase } from './mongo/test-database.mjs'
import { TapTally } from './tap-tally.mjs'

const require = createRequire(import.meta.url)
// tap exports no bin path: resolve its package.json and follow the `bin` field.
const tapPackage = require.resolve('tap/package.json', { paths: [process.cwd()] })
const tapBin = join(dirname(tapPackage), require(tapPackage).bin.tap)

const db = await startTestDatabase()
console.log(`# test database: ${db.kind} at ${db.url}` + (db.pid ? ` (pid ${db.pid})` : ''))

let stopping = null
const stopDatabase = () => (stopping ??= db.stop())

const child = spawn(process.execPath, [tapBin, '--reporter=tap', ...process.argv.slice(2)], {
  env: { ...process.env, MONGODB_URL: db.url, AUTHGATE_TEST_DB_KIND: db.kind },
  stdio: ['ignore', 'pipe', 'inherit']
})

// Ctrl-C or a CI kill: pass it on to tap, then stop the database before exiting.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    child.kill(signal)
    stopDatabase().finally(() => process.exit(130))
  })
}

const tally = new TapTally()
const lines = createInterface({ input: child.stdout })
lines.on('line', (line) => {
  process.stdout.write(line + '\n')
  tally.push(line)
})

const exitCode = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)))
await stopDatabase()
const { passed, failed, skipped } = tally.totals(exitCode)
console.log(`# test database used: ${db.kind}`)
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''))
process.exit(exitCode === 0 && failed === 0 && passed > 0 ? 0 : 1)
