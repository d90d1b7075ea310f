// CPU time per answered request, read from /proc: a server's own user + kernel time around a run, over the requests
// it answered. On a shared 2-core machine req/s moves by tens of percent between minutes; the CPU a server spends
// per request depends far less on what else runs (PERF-NOTES.md, docs/profiling.md). Used by `pnpm bench` (every
// server scenario's `cpuUsPerRequest`) and tools/compare.mjs.
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/PID/stat times (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100

/**
 * CPU seconds (user and system, all threads) a process and its live children (nginx's worker, the gateway's
 * cluster workers) have used so far; NaN where there is no /proc.
 * @param {number | undefined} pid
 * @returns {{ user: number, system: number }}
 */
export function cpuTimes (pid) {
  if (pid === undefined) return { user: Number.NaN, system: Number.NaN }
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()?.trim().split(' ') ?? []
    const times = { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND }
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean)) {
        const more = cpuTimes(Number(child))
        times.user += more.user
        times.system += more.system
      }
    }
    return times
  } catch {
    return { user: Number.NaN, system: Number.NaN }
  }
}

/**
 * Starts measuring the processes of one scenario (`{ label: pid }`, e.g. nginx and authgate for forward auth);
 * `stop(requests)` gives µs of CPU per request for each and their sum (`total`), and the kernel share of the sum.
 * @param {Record<string, number | undefined>} pids
 */
export function startCpuMeter (pids) {
  const before = Object.fromEntries(Object.entries(pids).map(([label, pid]) => [label, cpuTimes(pid)]))
  return {
    /** @param {number} requests answered during the measured run */
    stop (requests) {
      const perRequest = (/** @type {number} */ seconds) => (seconds * 1e6) / Math.max(1, requests)
      /** @type {Record<string, number>} */
      const parts = {}
      let total = 0
      let system = 0
      for (const [label, pid] of Object.entries(pids)) {
        const after = cpuTimes(pid)
        const start = before[label] ?? { user: Number.NaN, system: Number.NaN }
        parts[label] = perRequest(after.user - start.user + after.system - start.system)
        total += /** @type {number} */ (parts[label])
        system += perRequest(after.system - start.system)
      }
      return { total, system, parts }
    }
  }
}
