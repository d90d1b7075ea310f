// Where things run: the load generator (this process, autocannon) on core 0, every server on core 1, as in
// /work/shared/PERF-NOTES.md. Without the split, autocannon and the server fight for one core and the numbers mostly
// measure the scheduler. Falls back to no pinning (and says so) without taskset or with a single core.
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { which } from '../../mongo/test-database.mjs'

export const LOAD_CORE = 0
export const SERVER_CORE = 1

const taskset = which('taskset')
const cores = availableParallelism()
const enabled = taskset !== null && cores >= 2 && process.env.AUTHGATE_BENCH_NO_PIN !== '1'

/** The command prefix that pins a child to `core`, or nothing when pinning is off. */
export function pinArgs (core) {
  return enabled && core !== undefined ? [/** @type {string} */ (taskset), '-c', String(core)] : []
}

/** Pins this process (all its threads: autocannon runs here) to the load-generator core. */
export function pinSelf () {
  if (!enabled) return
  execFileSync(/** @type {string} */ (taskset), ['-a', '-cp', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' })
}

/**
 * Pins a running process (all its current threads; threads and children it creates later inherit it) to `core`.
 * Servers start unpinned so their TypeScript start-up spreads over both cores, and are pinned once ready.
 */
export function pinPid (pid, core) {
  if (!enabled || pid === undefined) return
  execFileSync(/** @type {string} */ (taskset), ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' })
}

/** One line for the report. */
export function describePlacement () {
  if (!enabled) {
    const why = taskset === null ? 'taskset not found' : cores < 2 ? `${cores} core available` : 'AUTHGATE_BENCH_NO_PIN=1'
    return `no pinning (${why}): load generator and servers share the cores`
  }
  return `load generator (autocannon, this process) on core ${LOAD_CORE}; upstream, proxies, gateways, nginx and the database on core ${SERVER_CORE} (taskset; ${cores} cores seen)`
}
