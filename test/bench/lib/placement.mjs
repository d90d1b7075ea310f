// Where things run: the load generator (this process, autocannon) on core 0, every server on core 1, as in
// docs/benchmarks.md#early-measurements. Without the split, autocannon and the server fight for one core and the
// numbers mostly measure the scheduler. Falls back to no pinning (and says so) without taskset or with a single core.
// A process inherits the affinity of the thread that spawns it: the bench pins itself (pinSelf) only once every server
// has started, so start-ups and seeding use both cores, and each server is pinned once ready (pinPid). checkPlacement
// reads back every thread of every pinned process, so the report says where things were allowed to run, not where
// they were meant to.
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
  let tasks = []
  try { tasks = readdirSync(`/proc/${pid}/task`) } catch { return [] }
  return tasks.flatMap((task) => {
    // A thread that exits while we read is left out; its siblings' children still count.
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)
    } catch {
      return []
    }
  })
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

/** Pins this process (all its threads: autocannon runs here) to the load-generator core. Call it after starting the servers. */
export function pinSelf () {
  if (!enabled) return
  execFileSync(/** @type {string} */ (taskset), ['-a', '-cp', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' })
}

/** A taskset list (`1`, `0-1`, `0,2-3`) as a sorted, comma-joined list of CPUs, to compare lists written differently. */
export function normaliseCpuList (list) {
  const cpus = new Set()
  for (const part of String(list).split(',')) {
    const [from, to = from] = part.trim().split('-').map(Number)
    if (from === undefined || !Number.isInteger(from) || !Number.isInteger(to) || to < from || to - from > 4096) return String(list)
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu)
  }
  return [...cpus].sort((a, b) => a - b).join(',')
}

/**
 * Every thread of `pid` and (with `tree`, the default) of its descendants, with the CPUs it may run on; [] for a
 * process that is gone. Without `tree`: the process's own threads only (the bench process, whose children are the
 * servers).
 */
export function threadAffinities (pid, tree = true) {
  /** @type {Array<{ pid: number, tid: number, allowed: string }>} */
  const threads = []
  const pids = [pid]
  for (let index = 0; index < pids.length && pids.length < 1000; index++) {
    const current = /** @type {number} */ (pids[index])
    let tasks = []
    try { tasks = readdirSync(`/proc/${current}/task`) } catch { continue }
    for (const task of tasks) {
      try {
        const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${current}/task/${task}/status`, 'utf8'))?.[1]
        if (allowed !== undefined) threads.push({ pid: current, tid: Number(task), allowed })
      } catch { /* the thread exited while we read */ }
    }
    if (tree) pids.push(...childPids(current))
  }
  return threads
}

/** Pins one thread (`taskset -cp`, no -a) where it belongs: the repair for a thread checkPlacement found astray. */
export function pinThread (tid, core) {
  if (!enabled) return
  try { execFileSync(/** @type {string} */ (taskset), ['-cp', String(core), String(tid)], { stdio: 'ignore' }) } catch { /* gone */ }
}

/**
 * Pins a running process and its descendants (all their current threads; threads and children created later
 * inherit it) to `core`, then reads every thread back, and pins again (three tries) while one is elsewhere: a
 * thread created by a not yet pinned thread during the first pass would inherit the old mask. Returns the threads
 * still elsewhere ([] when all are where they should be).
 * @param {number | undefined} pid
 * @param {number | string} core a core or a taskset list
 */
export function pinPid (pid, core) {
  if (!enabled || pid === undefined) return []
  const want = normaliseCpuList(core)
  let astray = []
  for (let attempt = 0; attempt < 3; attempt++) {
    const threads = threadAffinities(pid)
    astray = threads.filter((thread) => normaliseCpuList(thread.allowed) !== want)
    if (threads.length > 0 && astray.length === 0) return []
    for (const member of new Set([pid, ...astray.map((thread) => thread.pid)])) {
      // A thread that exits while taskset walks the list fails the whole call: the read-back decides.
      try { execFileSync(/** @type {string} */ (taskset), ['-a', '-cp', String(core), String(member)], { stdio: 'ignore' }) } catch { /* read back */ }
    }
  }
  return threadAffinities(pid).filter((thread) => normaliseCpuList(thread.allowed) !== want)
}

/**
 * Reads back where every pinned process may run: each entry's threads (and its descendants', unless `tree: false`)
 * against its cores.
 * @param {Array<{ name: string, pid: number | undefined, cores: number | string, tree?: boolean }>} expected
 * @returns {{ processes: number, threads: number, mismatches: Array<{ name: string, pid: number, tid: number, allowed: string, expected: string }> }}
 */
export function checkPlacement (expected) {
  let processes = 0
  let threads = 0
  const mismatches = []
  for (const { name, pid, cores, tree } of expected) {
    if (pid === undefined) continue
    const read = threadAffinities(pid, tree !== false)
    if (read.length === 0) continue
    processes += new Set(read.map((thread) => thread.pid)).size
    threads += read.length
    const want = normaliseCpuList(cores)
    for (const thread of read) {
      if (normaliseCpuList(thread.allowed) !== want) mismatches.push({ name, ...thread, expected: String(cores) })
    }
  }
  return { processes, threads, mismatches }
}

/**
 * checkPlacement over a run's processes, grouped by core for the report line (describePlacement). An entry without
 * `cores` or without a pid is listed as not pinned (with `why`).
 * @param {Array<{ name: string, pid: number | undefined, cores?: number | string, tree?: boolean, why?: string }>} entries
 */
export function verifyPlacement (entries) {
  const pinned = entries.filter((entry) => entry.cores !== undefined && entry.pid !== undefined)
  const unpinned = entries.filter((entry) => !pinned.includes(entry)).map((entry) => entry.why ? `${entry.name} (${entry.why})` : entry.name)
  /** @type {Map<string, { cores: string, names: string[], processes: number, threads: number }>} */
  const groups = new Map()
  const mismatches = []
  for (const entry of pinned) {
    const check = checkPlacement([/** @type {{ name: string, pid: number, cores: number | string, tree?: boolean }} */ (entry)])
    if (check.threads === 0) { unpinned.push(`${entry.name} (exited)`); continue }
    const key = String(entry.cores)
    const group = groups.get(key) ?? { cores: key, names: [], processes: 0, threads: 0 }
    group.names.push(entry.name)
    group.processes += check.processes
    group.threads += check.threads
    groups.set(key, group)
    mismatches.push(...check.mismatches)
  }
  return { groups: [...groups.values()], unpinned, mismatches }
}

/** Whether processes are pinned at all on this machine (taskset, 2+ cores, not turned off). */
export function pinningEnabled () {
  return enabled
}

/**
 * One line for the report. Without `verified` (before anything started): the plan. With it: what was read back
 * from /proc, by core, naming what is not pinned (a database the bench did not start, MONGODB_URL).
 * @param {{ groups: Array<{ cores: string, names: string[], processes: number, threads: number }>, unpinned: string[],
 *   mismatches: Array<{ name: string, tid: number, allowed: string, expected: string }> }} [verified]
 */
export function describePlacement (verified) {
  if (!enabled) {
    const why = taskset === null ? 'taskset not found' : cores < 2 ? `${cores} core available` : 'AUTHGATE_BENCH_NO_PIN=1'
    return `no pinning (${why}): load generator and servers share the cores`
  }
  if (!verified) {
    return `planned: load generator (autocannon, this process) on core ${LOAD_CORE}; every server on core ${SERVER_CORE}; the multi-worker gateway (primary and workers) on cores ${ALL_CORES} (taskset; ${cores} cores seen)`
  }
  const groups = verified.groups.map(({ cores: list, names, processes, threads }) =>
    `${names.join(', ')} on core${list.includes(',') || list.includes('-') ? 's' : ''} ${list} (${processes} process${processes === 1 ? '' : 'es'}, ${threads} threads)`)
  const unpinned = verified.unpinned.length ? `; not pinned: ${verified.unpinned.join(', ')}` : ''
  const astray = verified.mismatches.length
    ? `; MISPLACED: ${verified.mismatches.slice(0, 5).map((m) => `${m.name} thread ${m.tid} allowed ${m.allowed}, expected ${m.expected}`).join('; ')}${verified.mismatches.length > 5 ? ` (${verified.mismatches.length} threads in all)` : ''}`
    : ''
  return `verified from /proc (Cpus_allowed_list of every thread): ${groups.join('; ')}${unpinned}${astray}`
}
