#!/usr/bin/env node
// `pnpm bench [--quick] [--only=a,b] [--revoked=N] [--cpu-prof=DIR] [--warmup=S --seconds=S --rounds=N]`: starts every server on loopback as a child process, measures
// each scenario with autocannon (warm-up, then interleaved rounds; medians), writes test/bench/results.json and
// prints a table. Full: 15 s warm-up, 3 × 10 s per scenario; --quick: 1 s warm-up, 1 × 2 s and 20 000 seeded
// revocations (under 2 minutes). Each scenario is measured alone: every bench process it does not need is frozen
// while it warms up and runs (lib/isolation.mjs; AUTHGATE_BENCH_NO_FREEZE=1 turns that off, for debugging only).
// --cpu-prof=DIR profiles every Node server into DIR/<name>/ and writes DIR/requests.json (requests each answered).
// Every server scenario also reports its server's CPU time per request (`cpuUsPerRequest`, lib/cpu.mjs), and the
// ratios include CPU ones (`cpu:A/B`). Both are comparable only when each server has its core to itself: under
// other load CPU per request rises too (docs/benchmarks.md), so the targets are judged on an idle machine.
// Targeted measurements without the whole environment: tools/compare.mjs (see docs/profiling.md). Exit code 1 when a scenario
// failed (probe not 2xx, errors above 1 %, any refresh error), so a broken benchmark cannot pass as a slow one.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { childWarnings, killAllChildrenNow, stopAllChildren } from './lib/children.mjs'
import { describePlacement, LOAD_CORE, pinningEnabled, pinSelf, pinThread, verifyPlacement } from './lib/placement.mjs'
import { startEnvironment } from './lib/environment.mjs'
import { measureAll } from './lib/rounds.mjs'
import { createIsolator, neededNames, thawAll } from './lib/isolation.mjs'
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
    // Overrides of the mode's schedule, for targeted measurements (e.g. how long a warm-up must be: --warmup=1
    // --rounds=8 --seconds=3 shows each scenario's CPU per request round by round from a cold start).
    warmup: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) }
  }
})
const plan = args.quick
  // 2 s runs: with the peers, forward auth, the external issuer and refresh-memory (issue #18) there are 22+
  // scenarios, and a smoke test must stay under 2 minutes, start-up included.
  ? { mode: 'quick', warmupSeconds: 1, runSeconds: 2, rounds: 1, settleMs: 200 }
  // 15 s: a fresh server's first 10–15 s of load cost 1.5–2.5× its steady CPU per request (JIT tiers, heap
  // sizing; docs/benchmarks.md "How it measures"). settleMs: a resumed process's due timers run before the meter starts.
  : { mode: 'full', warmupSeconds: 15, runSeconds: 10, rounds: 3, settleMs: 1000 }
const bounded = (/** @type {string | undefined} */ value, min, max, fallback) => value === undefined ? fallback : Math.min(max, Math.max(min, Number(value) || fallback))
plan.warmupSeconds = bounded(args.warmup, 1, 120, plan.warmupSeconds)
plan.runSeconds = bounded(args.seconds, 1, 60, plan.runSeconds)
plan.rounds = bounded(args.rounds, 1, 20, plan.rounds)
if (args.warmup !== undefined || args.seconds !== undefined || args.rounds !== undefined) plan.mode += ' (schedule overridden)'
const freezing = process.env.AUTHGATE_BENCH_NO_FREEZE !== '1'
const cpuProfDir = args['cpu-prof'] === undefined ? undefined : resolve(args['cpu-prof'])
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
  // First: a frozen database or server would not act on its SIGTERM (stopAllChildren thaws too; the databases are
  // not children.mjs's).
  thawAll()
  // Profiles are written as the servers exit: a minute, not 5 s, before SIGKILL (checkProfiles says what is missing).
  await stopAllChildren(cpuProfDir ? 60_000 : 5000)
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
// Synchronous: resumes every frozen process (the databases too), then kills the children left.
process.once('exit', () => { thawAll(); killAllChildrenNow() })

let exitCode = 0
try {
  log(`authgate bench, ${plan.mode}: warm-up ${plan.warmupSeconds} s, ${plan.rounds} × ${plan.runSeconds} s per scenario, autocannon -c ${CONNECTIONS}`)
  log(`placement: ${describePlacement()}`)
  const loadAtStart = loadavg()
  log(`load average at start: ${loadAtStart.map((load) => load.toFixed(2)).join(' ')} (numbers measured while other work runs are noise)`)
  const env = await startEnvironment({
    dir, revoked: Number(args.revoked ?? (args.quick ? 20_000 : 100_000)), log, cpuProfDir, onDatabase: (starting) => {
      databasesStarting.push(starting.then((db) => { databases.push(db) }, () => {}))
    }
  })
  // Only now: every child inherits its spawner's affinity, so the servers and databases started on both cores.
  pinSelf()
  const placement = () => verifyPlacement([
    { name: 'load generator (this process)', pid: process.pid, cores: LOAD_CORE, tree: false },
    ...Object.entries(env.processes).map(([name, pid]) => ({ name, pid: /** @type {number} */ (pid), cores: env.cores[name] })),
    ...(env.db && env.db.pid === undefined ? [{ name: 'database', pid: undefined, why: `${env.db.kind}: not started by the bench` }] : [])
  ])
  const placed = pinningEnabled() ? placement() : undefined
  log(`placement: ${describePlacement(placed)}`)
  /** @type {{ checks: number, threads: number, mismatches: Array<Record<string, unknown>> }} read back before every run */
  const placementChecks = { checks: 0, threads: 0, mismatches: [...(placed?.mismatches ?? [])] }
  const only = args.only?.split(',').map((name) => name.trim())
  const scenarios = defineScenarios(env, { quick: args.quick === true }).filter((scenario) => !only || only.includes(scenario.name))
  log(`measuring ${scenarios.length} scenarios${freezing ? ', each alone (the processes it does not need frozen)' : ' (AUTHGATE_BENCH_NO_FREEZE=1: nothing frozen)'}`)
  // graceMs: between freezing the clients and their databases, so a poll already sent is answered (lib/isolation.mjs).
  const isolator = createIsolator(env.processes, env.dependsOn, { graceMs: args.quick ? 200 : 1000 })
  /** The scenario's processes and their dependencies keep running; the rest is frozen. Placement read back first. */
  const isolate = async (scenario) => {
    if (pinningEnabled()) {
      const check = placement()
      placementChecks.checks++
      placementChecks.threads = Math.max(placementChecks.threads, check.groups.reduce((sum, group) => sum + group.threads, 0))
      for (const astray of check.mismatches) {
        placementChecks.mismatches.push({ ...astray, scenario: scenario.name })
        pinThread(astray.tid, astray.expected)
      }
      if (check.mismatches.length) {
        const first = check.mismatches.slice(0, 3).map((m) => `${m.name} thread ${m.tid} on ${m.allowed}, expected ${m.expected}`)
        log(`! placement before ${scenario.name}: ${check.mismatches.length} threads astray (${first.join('; ')}): pinned again`)
      }
    }
    const needed = neededNames(scenario.needs ?? [], env.dependsOn)
    // What the scenario needs but does not meter (its upstream, its database): their CPU beside it is reported.
    const metered = new Set(Object.values(scenario.cpu ?? {}))
    const alongside = Object.fromEntries([...needed].filter((name) => env.processes[name] !== undefined && !metered.has(env.processes[name])).map((name) => [name, env.processes[name]]))
    if (!freezing) return { resume: () => {}, alongside }
    // Frozen until a scenario needs them again (or the measurement ends): see createIsolator for why not after each run.
    const state = await isolator.isolate(scenario.needs ?? [])
    return { resume: () => {}, alongside, describe: `${state.frozen.length} processes frozen (${state.stopped} pids), running: ${state.running.join(', ')}` }
  }
  /** @type {Record<string, number>} requests answered per Node server, warm-up included (for --cpu-prof) */
  const answered = {}
  // Every request of a scenario reaches each Node server it needs once (the upstream behind a proxy, the gateway
  // behind nginx-forward-auth), except where the sample says otherwise (`requestsBy`: login-storm's logins never
  // reach the upstream); the external issuer answers only key fetches.
  const onRun = (scenario, sample) => {
    for (const name of neededNames(scenario.needs ?? [], env.dependsOn)) {
      if (env.nodeServers[name] === undefined || name === 'external-issuer') continue
      answered[name] = (answered[name] ?? 0) + (sample.requestsBy?.[name] ?? sample.requests)
    }
  }
  let results
  try {
    results = await measureAll(scenarios, { ...plan, log, isolate, onRun })
  } finally {
    // Everything runs again before anything is reported or stopped, also after a failure (SIGINT and a hard exit
    // resume through thawAll in cleanUp and the 'exit' handler).
    isolator.release()
  }
  if (cpuProfDir) writeRequestCounts(cpuProfDir, env, answered)
  const ratios = { ...computeRatios(results, RATIOS), ...computeCpuRatios(results, CPU_RATIOS) }
  // Servers that logged warnings or errors during the run (a driver that lost its database, a failed poll).
  const serverWarnings = childWarnings().filter((entry) => entry.warnings > 0)
  for (const entry of serverWarnings) {
    log(`! ${entry.name} (pid ${entry.pid}) logged ${entry.warnings} warnings or errors: ${Object.entries(entry.messages).map(([text, n]) => `${n} × ${text}`).join(' | ')}`)
  }
  if (!serverWarnings.length) log('no server logged a warning or an error')
  const meta = {
    mode: plan.mode,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    placement: describePlacement(placed),
    placementChecks,
    serverWarnings,
    isolation: freezing
      ? 'each scenario alone: every bench process it does not need (servers, nginx, databases) frozen with SIGSTOP while it warms up and runs, resumed when a scenario needs it and when the measurement ends'
      : 'none (AUTHGATE_BENCH_NO_FREEZE=1): idle servers, pollers and databases ran during every scenario',
    load: LOAD_LEVELS,
    runs: `${plan.rounds} × ${plan.runSeconds} s after ${plan.warmupSeconds} s warm-up (each run after ${plan.settleMs} ms settling); medians`,
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
  if (cpuProfDir) checkProfiles(cpuProfDir)
}
log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`)
process.exit(exitCode)

/** Says which profiled process left no main-thread profile (`CPU.*.PID.0.*.cpuprofile`) in DIR/<name>/. */
function checkProfiles (profDir) {
  let listed
  try { listed = JSON.parse(readFileSync(join(profDir, 'requests.json'), 'utf8')).processes } catch { return }
  for (const [name, { pid }] of Object.entries(listed)) {
    let files = []
    try { files = readdirSync(join(profDir, name)) } catch { /* none */ }
    const main = files.filter((file) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(file))
    if (!main.some((file) => file.includes(`.${pid}.0.`))) log(`! --cpu-prof: ${name} (pid ${pid}) wrote no profile in ${join(profDir, name)}`)
    else if (name === 'gateway-workers') log(`--cpu-prof: gateway-workers wrote ${main.length} main-thread profiles (the primary and each worker it ran)`)
  }
}

/**
 * DIR/requests.json: per profiled process (DIR/<name>/, written when it stopped), the requests it answered over its
 * life, warm-up included (probes and session logins left out), for `profile-summary.mjs FILE --requests=N`.
 */
function writeRequestCounts (profDir, env, answered) {
  mkdirSync(profDir, { recursive: true })
  const processes = Object.fromEntries(Object.entries(env.nodeServers).map(([name, pid]) => [name, {
    pid, profiles: join(profDir, name), requests: answered[name] ?? 0
  }]))
  const note = 'requests: answered over the process\'s life, warm-up included, probes and session logins left out. ' +
    'gateway-workers: the sum over its workers (one profile each, and one of the primary, which answers none). ' +
    'Not profiled: nginx and the databases (not Node). A process run through the TypeScript loader also writes a profile of the loader\'s thread (CPU.*.1.*.cpuprofile): ignore it.'
  writeFileSync(join(profDir, 'requests.json'), JSON.stringify({ note, processes }, null, 2) + '\n')
  log(`profiles in ${profDir}/<name>/ (written as each server stopped); requests answered per process in ${join(profDir, 'requests.json')}`)
}
