// Each scenario measured alone: while it warms up and runs, every bench process it does not need is frozen
// (SIGSTOP), and resumed (SIGCONT) when a scenario needs it again or the measurement ends (createIsolator). Idle
// servers are not idle: gateways poll their revocation list and key ring, drivers send heartbeats, the JVM collects,
// and answering the revocation gateway's polls of 100 000 entries took FerretDB 23–25 % of a core. All of that ran
// on the measured server's core and inflated its CPU per request. A frozen process uses no CPU at all; its sockets
// stay open, its timers fire when resumed.
//
// Bookkeeping: every pid this module stopped is remembered until it is resumed, and thawAll() resumes them all,
// synchronously, so the exit paths (children.mjs, run.mjs: failure, SIGINT/SIGTERM, 'exit') never leave a stopped
// process behind: a stopped process ignores SIGTERM until it is continued, and a stopped database outlives the run.
import { childPids } from './placement.mjs'

/** Pids stopped by this module and not resumed yet. */
const frozen = new Set()

/** The pids currently frozen (a copy), for reports and tests. */
export function frozenPids () {
  return [...frozen]
}

/** `pid` and every descendant (nginx's worker, the gateway's cluster workers), from /proc; [] for no pid. */
export function processTree (pid) {
  if (!isPid(pid)) return []
  const tree = [pid]
  for (let index = 0; index < tree.length && tree.length < 1000; index++) tree.push(...childPids(/** @type {number} */ (tree[index])))
  return tree
}

/** @param {unknown} pid @returns {pid is number} */
function isPid (pid) {
  // Never this process (the load generator) nor init: only the bench's own children are ever stopped.
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 1 && pid !== process.pid
}

/** Sends `signal`; false when the process is gone (ESRCH) or not ours to signal (EPERM). */
function signal (pid, name) {
  try {
    process.kill(pid, name)
    return true
  } catch {
    return false
  }
}

/**
 * The names a scenario needs, closed over `dependsOn` (a proxy needs the upstream, a store-backed server its
 * database, nginx-forward-auth the gateway it asks): what must keep running while it is measured.
 * @param {Iterable<string>} names
 * @param {Record<string, string[] | undefined>} dependsOn
 * @returns {Set<string>}
 */
export function neededNames (names, dependsOn) {
  const needed = new Set()
  const visit = (/** @type {string} */ name) => {
    if (needed.has(name)) return
    needed.add(name)
    for (const dependency of dependsOn[name] ?? []) visit(dependency)
  }
  for (const name of names) visit(name)
  return needed
}

/**
 * Stops every process of `processes` (name → pid, with its descendants) that is not in `needed`; resume() continues
 * exactly those (idempotent). A pid that does not exist is ignored; a pid already frozen (by another isolation) is
 * left to whoever froze it; a pid that belongs to a needed process tree is never stopped, whatever name it is also
 * listed under.
 * @param {Record<string, number | undefined>} processes every bench process, by name
 * @param {Iterable<string>} needed names that must keep running (already closed over dependencies)
 * @returns {{ stopped: number[], names: string[], running: string[], resume: () => void }}
 *   stopped: the pids this call froze; names: the processes frozen (by name); running: the needed ones that exist
 */
export function freezeOthers (processes, needed) {
  const keep = new Set([...needed])
  const keepPids = new Set(Object.entries(processes).filter(([name]) => keep.has(name)).flatMap(([, pid]) => processTree(pid)))
  /** @type {number[]} */
  const stopped = []
  /** @type {string[]} */
  const names = []
  for (const [name, pid] of Object.entries(processes)) {
    if (keep.has(name) || !isPid(pid)) continue
    let any = false
    // Descendants first (resumed in the reverse order, parents first).
    for (const member of processTree(pid).reverse()) {
      if (keepPids.has(member) || frozen.has(member)) continue
      if (signal(member, 'SIGSTOP')) {
        frozen.add(member)
        stopped.push(member)
        any = true
      }
    }
    if (any) names.push(name)
  }
  const running = Object.entries(processes).filter(([name, pid]) => keep.has(name) && isPid(pid)).map(([name]) => name)
  let resumed = false
  return {
    stopped,
    names,
    running,
    resume () {
      if (resumed) return
      resumed = true
      thaw(stopped)
    }
  }
}

/** Continues `pids` that this module froze (parents first, the reverse of freezing); others are left alone. */
function thaw (pids) {
  for (const pid of [...pids].reverse()) {
    if (!frozen.delete(pid)) continue
    signal(pid, 'SIGCONT')
  }
}

/** Continues every process this module froze. Synchronous: safe in an 'exit' handler. */
export function thawAll () {
  thaw([...frozen])
}

/**
 * The order to freeze `names` in: stages, each frozen before the next, every process before what it depends on
 * (a gateway before its database). A client frozen while its request is unanswered reads the answer when resumed;
 * a database frozen before answering leaves the client's deadline timer to fire first on resume, which failed the
 * revocation polls of idle servers ("no answer within 50 s") in a long run. Names in a dependency cycle, or
 * depending only on names outside `names`, come in the first stage they can.
 * @param {string[]} names
 * @param {Record<string, string[] | undefined>} dependsOn
 * @returns {string[][]}
 */
export function freezeOrder (names, dependsOn) {
  const remaining = new Set(names)
  const stages = []
  while (remaining.size > 0) {
    // Those no remaining process depends on.
    const depended = new Set([...remaining].flatMap((name) => dependsOn[name] ?? []))
    let stage = [...remaining].filter((name) => !depended.has(name))
    if (stage.length === 0) stage = [...remaining]
    for (const name of stage) remaining.delete(name)
    stages.push(stage)
  }
  return stages
}

/**
 * The bench's isolation over a whole measurement: isolate(needs) brings it to the state where exactly the processes
 * outside `needs` (closed over `dependsOn`) are frozen, resuming what is now needed (dependencies first) and
 * freezing what is not any more (in freezeOrder's stages, `graceMs` apart, so a database first answers what its
 * clients asked just before they stopped). A process no scenario in a row needs stays frozen in between: resuming
 * every process after each run and freezing it again woke some twenty of them at every boundary to run their due
 * timers (heartbeats, revocation polls of 100 000 entries on FerretDB), work that spilled into the next scenario
 * and was cut off mid-exchange. release() resumes everything (databases first); the bench calls it when the
 * measurement ends, fails or is interrupted, and thawAll() covers a hard exit.
 * @param {Record<string, number | undefined>} processes every bench process, by name
 * @param {Record<string, string[] | undefined>} dependsOn
 * @param {{ graceMs?: number }} [options]
 */
export function createIsolator (processes, dependsOn, { graceMs = 0 } = {}) {
  /** @type {Map<string, ReturnType<typeof freezeOthers>>} each frozen name and its freeze */
  const held = new Map()
  const release = (/** @type {string[]} */ names) => {
    for (const stage of freezeOrder(names, dependsOn).reverse()) {
      for (const name of stage) { held.get(name)?.resume(); held.delete(name) }
    }
  }
  return {
    /**
     * @param {Iterable<string>} needs the scenario's processes
     * @returns {Promise<{ frozen: string[], stopped: number, running: string[], resumed: string[] }>}
     *   frozen: every process frozen now; stopped: their pids (descendants included); resumed: those just resumed
     */
    async isolate (needs) {
      const keep = neededNames(needs, dependsOn)
      const resumed = [...held.keys()].filter((name) => keep.has(name))
      release(resumed)
      const kept = Object.fromEntries(Object.entries(processes).filter(([name]) => keep.has(name)))
      const stages = freezeOrder(Object.keys(processes).filter((name) => !keep.has(name) && !held.has(name)), dependsOn)
      for (const [index, stage] of stages.entries()) {
        if (index > 0 && graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs))
        for (const name of stage) held.set(name, freezeOthers({ ...kept, [name]: processes[name] }, keep))
      }
      const frozen = [...held.entries()].filter(([, isolation]) => isolation.stopped.length > 0).map(([name]) => name)
      return {
        frozen,
        stopped: [...held.values()].reduce((sum, isolation) => sum + isolation.stopped.length, 0),
        running: Object.keys(kept).filter((name) => typeof processes[name] === 'number'),
        resumed
      }
    },
    /** Resumes every process this isolator froze, databases first. Idempotent. */
    release () { release([...held.keys()]) }
  }
}

/**
 * Runs `work` with every process of `processes` outside `needed` frozen, and resumes them afterwards whatever
 * happens (a throw, a rejected promise).
 * @template T
 * @param {Record<string, number | undefined>} processes
 * @param {Iterable<string>} needed
 * @param {(isolation: ReturnType<typeof freezeOthers>) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function withOthersFrozen (processes, needed, work) {
  const isolation = freezeOthers(processes, needed)
  try {
    return await work(isolation)
  } finally {
    isolation.resume()
  }
}
