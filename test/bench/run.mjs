#!/usr/bin/env node
// `pnpm bench [--quick] [--only=a,b] [--revoked=N] [--cpu-prof=DIR]`: starts every server on loopback as a child process, measures
// each scenario with autocannon (warm-up, then interleaved rounds; medians), writes test/bench/results.json and
// prints a table. Full: 3 × 10 s per scenario; --quick: 1 × 2 s and 20 000 seeded revocations (under 2 minutes).
// Every server scenario also reports its server's CPU time per request (`cpuUsPerRequest`, lib/cpu.mjs), and the
// ratios include CPU ones (`cpu:A/B`). Both are comparable only when each server has its core to itself: under
// other load CPU per request rises too (docs/benchmarks.md), so the targets are judged on an idle machine.
// Targeted measurements without the whole environment: tools/compare.mjs (see docs/profiling.md). Exit code 1 when a scenario
// failed (probe not 2xx, errors above 1 %, any refresh error), so a broken benchmark cannot pass as a slow one.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { killAllChildrenNow, stopAllChildren } from './lib/children.mjs'
import { describePlacement, pinSelf } from './lib/placement.mjs'
import { startEnvironment } from './lib/environment.mjs'
import { measureAll } from './lib/rounds.mjs'
import { computeCpuRatios, computeRatios, formatDatabaseTable, formatTable, writeResults } from './lib/report.mjs'
import { databaseComparison, primaryServer } from './lib/database-matrix.mjs'
import { CONNECTIONS, CPU_RATIOS, LOAD_LEVELS, RATIOS, defineScenarios } from './scenarios.mjs'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    // Default: 100 000 (full), 20 000 (--quick: seeding 100 000 alone took 40 s of the 2 minutes on a busy machine).
    revoked: { type: 'string' },
    'cpu-prof': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) }
  }
})
const plan = args.quick
  // 2 s runs: with the peers, forward auth, the external issuer and refresh-memory (issue #18) there are 22+
  // scenarios, and a smoke test must stay under 2 minutes, start-up included.
  ? { mode: 'quick', warmupSeconds: 1, runSeconds: 2, rounds: 1 }
  : { mode: 'full', warmupSeconds: 3, runSeconds: 10, rounds: 3 }
const startedAt = Date.now()
const log = (/** @type {string} */ line) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s] ${line}`)

const dir = mkdtempSync(join(tmpdir(), 'authgate-bench-'))
/** @type {Array<{ stop: () => Promise<void> }>} the main database and one per other server (lib/database-matrix.mjs) */
const databases = []
/** @type {Array<Promise<void>>} */
const databasesStarting = []
let cleaning
let interrupted = false
const cleanUp = () => (cleaning ??= (async () => {
  await stopAllChildren()
  // A database that is still starting when the run is interrupted is stopped once it is up.
  await Promise.all(databasesStarting)
  await Promise.all(databases.map((db) => db.stop()))
  rmSync(dir, { recursive: true, force: true })
})())
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.once(signal, () => {
    interrupted = true
    log(`${signal}: stopping the servers`)
    void cleanUp().finally(() => process.exit(130))
  })
}
process.once('exit', killAllChildrenNow)

let exitCode = 0
try {
  pinSelf()
  log(`authgate bench, ${plan.mode}: warm-up ${plan.warmupSeconds} s, ${plan.rounds} × ${plan.runSeconds} s per scenario, autocannon -c ${CONNECTIONS}`)
  log(`placement: ${describePlacement()}`)
  const loadAtStart = loadavg()
  log(`load average at start: ${loadAtStart.map((load) => load.toFixed(2)).join(' ')} (numbers measured while other work runs are noise)`)
  const env = await startEnvironment({
    dir, revoked: Number(args.revoked ?? (args.quick ? 20_000 : 100_000)), log, cpuProfDir: args['cpu-prof'], onDatabase: (starting) => {
      databasesStarting.push(starting.then((db) => { databases.push(db) }, () => {}))
    }
  })
  const only = args.only?.split(',').map((name) => name.trim())
  const scenarios = defineScenarios(env, { quick: args.quick === true }).filter((scenario) => !only || only.includes(scenario.name))
  log(`measuring ${scenarios.length} scenarios`)
  const results = await measureAll(scenarios, { ...plan, log })
  const ratios = { ...computeRatios(results, RATIOS), ...computeCpuRatios(results, CPU_RATIOS) }
  const meta = {
    mode: plan.mode,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    placement: describePlacement(),
    load: LOAD_LEVELS,
    runs: `${plan.rounds} × ${plan.runSeconds} s after ${plan.warmupSeconds} s warm-up; medians`,
    database: env.db?.kind ?? null,
    revokedSeeded: env.seeded?.revoked ?? null,
    // Above ~1 on this 2-core arrangement something else competes with the servers: say so next to the numbers.
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg(),
    cpuPerRequest: 'cpuUsPerRequest: the server process(es) user + kernel CPU time from /proc during each measured run, over the requests answered; median of the runs',
    missing: env.missing
  }
  // An interrupted run measured servers being stopped: its numbers must not replace the last real results.
  if (interrupted) throw new Error('interrupted: results not written')
  // The in-memory store first: the code's own ceiling, beside which each database's figure is read.
  const servers = [
    { server: 'memory (no database)', suffix: '-memory' },
    { server: `${primaryServer()} (main)`, suffix: '' },
    ...(env.otherDatabases ?? []).map(({ server }) => ({ server, suffix: `@${server}` }))
  ]
  const databasesCompared = databaseComparison(results, servers)
  writeResults(args.out, { scenarios: results, ratios, meta, databases: databasesCompared })
  console.log('\n' + formatTable(results, ratios) + '\n\n' + formatDatabaseTable(databasesCompared) + '\n')
  log(`results written to ${args.out}`)
  const failed = Object.entries(results).filter(([, entry]) => entry.failed).map(([name]) => name)
  if (failed.length) { exitCode = 1; log(`FAILED: ${failed.join(', ')}`) }
} catch (error) {
  exitCode = 1
  console.error(error)
} finally {
  await cleanUp()
}
log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`)
process.exit(exitCode)
