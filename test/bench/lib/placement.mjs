// Where things run: the load generator (this process, autocannon) on core 0, every server on core 1, as in
// docs/benchmarks.md#early-measurements. Without the split, autocannon and the server fight for one core and the
// numbers mostly measure the scheduler. Falls back to no pinning (and says so) without taskset or with a single core.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { which } from '../../kit/mongo/test-database.mjs'

export const LOAD_CORE = 0
export const SERVER_CORE = 1

const taskset = which('taskset')
const cores = availableParallelism()
const enabled = taskset !== null && cores >= 2 && process.env.AUTHGATE_BENCH_NO_PIN !== '1'

/** Every core, as a taskset list (`0-1` on two cores): for the multi-worker gateway, whose point is using them all. */
export const ALL_CORES = `0-${cores - 1}`

/** The command prefix that pins a child to `core` (a number or a taskset list), or nothing when pinning is off. */
export function pinArgs (core) {
  return enabled && core !== undefined ? [/** @type {string} */ (taskset), '-c', String(core)] : []
}

/** Child process ids of `pid` (all its threads' children), from /proc; [] where there is none. */
export function childPids (pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number))
  } catch {
    return []
  }
}

/** The core a process's main thread last ran on (field 39 of /proc/PID/stat), or undefined. */
function lastCore (pid) {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): `processor` is the 37th.
    const value = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()?.trim().split(' ')[36])
    return Number.isInteger(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** The CPUs a process may run on (Cpus_allowed_list), or '?' without /proc. */
export function allowedCores (pid) {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?'
  } catch {
    return '?'
  }
}

/**
 * Samples, every `everyMs` until stop(), the core each of `pids` last ran on: proof of where the processes actually
 * ran, not only where they were allowed to. stop() returns per pid how many samples saw it on each core.
 * @param {number[]} pids
 * @returns {{ stop: () => Record<number, Record<number, number>> }}
 */
export function sampleCores (pids, everyMs = 50) {
  /** @type {Record<number, Record<number, number>>} */
  const seen = Object.fromEntries(pids.map((pid) => [pid, {}]))
  const timer = setInterval(() => {
    for (const pid of pids) {
      const core = lastCore(pid)
      const counts = seen[pid]
      if (core !== undefined && counts !== undefined) counts[core] = (counts[core] ?? 0) + 1
    }
  }, everyMs)
  return { stop: () => { clearInterval(timer); return seen } }
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
  return `load generator (autocannon, this process) on core ${LOAD_CORE}; upstream, proxies, gateways, nginx and the database on core ${SERVER_CORE}; the multi-worker gateway (primary and workers) on cores ${ALL_CORES} (taskset; ${cores} cores seen)`
}
