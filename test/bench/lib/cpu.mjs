// CPU time per answered request, read from /proc: a server's own user + kernel time around a run, over the requests
// it answered. It says where a server's time goes, and compares servers only when each has its core to itself: on
// a loaded machine it rises too, unevenly (docs/benchmarks.md), so targets are judged on an idle machine. Used by `pnpm bench` (every
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
  const none = { user: Number.NaN, system: Number.NaN }
  if (pid === undefined) return none
  let fields
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
    fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()?.trim().split(' ') ?? []
  } catch {
    return none
  }
  const times = { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND }
  // A thread or a child may exit while we read: it is left out, and the rest still counts (one catch around all
  // of it made the whole figure NaN whenever one of nginx's or the cluster's children came or went).
  for (const task of readOrNothing(() => readdirSync(`/proc/${pid}/task`))) {
    const children = readOrNothing(() => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean))
    for (const child of children) {
      const more = cpuTimes(Number(child))
      if (Number.isNaN(more.user) || Number.isNaN(more.system)) continue
      times.user += more.user
      times.system += more.system
    }
  }
  return times
}

/** @template T @param {() => T[]} read @returns {T[]} */
function readOrNothing (read) {
  try { return read() } catch { return [] }
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

/**
 * Busy CPU seconds of the whole machine so far (every core: user, nice, system, irq, softirq), plus `steal`: time
 * the hypervisor gave another virtual machine while this one wanted to run, which slows a measurement as surely as
 * a process here would. From /proc/stat; NaN without it.
 */
export function machineBusySeconds () {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const [user = Number.NaN, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

/**
 * Measures the CPU the machine spent outside this process and its descendants (every server the bench started),
 * steal included: `stop()` gives it in % of one core over the elapsed time. On a machine to itself this stays near 0; anything else
 * (another engineer's tests, a build) ran beside the measurement, on the same cores, and its numbers are noise.
 */
export function startOtherLoadMeter () {
  const mine = () => { const own = cpuTimes(process.pid); return own.user + own.system }
  const machine0 = machineBusySeconds()
  const mine0 = mine()
  const started = process.hrtime.bigint()
  return {
    stop () {
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9
      const other = (machineBusySeconds() - machine0) - (mine() - mine0)
      return elapsed > 0 ? Math.max(0, (other / elapsed) * 100) : Number.NaN
    }
  }
}
