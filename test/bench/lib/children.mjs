// Child processes of a bench run: spawned pinned to a core, tracked, and all ended (by PID, never by name) when the
// run ends, fails or is interrupted. Servers run as children so they can be pinned apart from the load generator
// and so autocannon never shares an event loop with the server it measures. Every way out resumes what
// lib/isolation.mjs froze first: a stopped process does not act on SIGTERM until it is continued.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { connect } from 'node:net'
import { pinArgs } from './placement.mjs'
import { thawAll } from './isolation.mjs'

/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set()
/** @type {Array<{ name: string, pid: number | undefined, warnings: number, messages: Record<string, number> }>} every child's warn/error log lines */
const logs = []

/**
 * Per child started so far: how many log lines at pino's warn level or above (≥ 40) it wrote on stdout, counted
 * by message. A server that complains during a run (a driver that lost its database after being frozen, a
 * revocation poll that failed) says so at the end of the run instead of only in a failure report.
 */
export function childWarnings () {
  return logs.map((entry) => ({ ...entry, messages: { ...entry.messages } }))
}

/**
 * Spawns `command args` on `core` (when taskset is usable). Its stderr is kept (last lines) for error reports.
 * @param {string} name for messages
 * @param {string} command
 * @param {string[]} args
 * @param {{ core?: number, env?: NodeJS.ProcessEnv, cwd?: string }} [options]
 */
export function startChild (name, command, args, options = {}) {
  const [cmd, ...cmdArgs] = [...pinArgs(options.core), command, ...args]
  const child = spawn(/** @type {string} */ (cmd), cmdArgs, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  /** @type {string[]} */
  const stderrTail = []
  createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stderr) }).on('line', (line) => {
    stderrTail.push(line)
    if (stderrTail.length > 20) stderrTail.shift()
  })
  // Always drained: a child logging to a pipe nobody reads would block once the pipe buffer fills. The last lines
  // are kept: a gateway logs (pino, stdout) why it misbehaves, which goes into the failure report.
  const stdoutLines = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) })
  /** @type {string[]} */
  const stdoutTail = []
  const warnings = { name, pid: child.pid, warnings: 0, messages: /** @type {Record<string, number>} */ ({}) }
  logs.push(warnings)
  stdoutLines.on('line', (line) => {
    stdoutTail.push(line)
    if (stdoutTail.length > 50) stdoutTail.shift()
    if (!line.startsWith('{') || !line.includes('"level"')) return
    try {
      const entry = JSON.parse(line)
      if (typeof entry.level === 'number' && entry.level >= 40) {
        warnings.warnings++
        // Digits out (durations, ids), so one kind of message is counted as one.
        const text = `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`.replace(/\d+/g, 'N').slice(0, 160)
        if (text in warnings.messages || Object.keys(warnings.messages).length < 20) warnings.messages[text] = (warnings.messages[text] ?? 0) + 1
      }
    } catch { /* not JSON */ }
  })
  return { name, child, stderrTail, stdoutTail, stdoutLines, stop: () => stopChild(child) }
}

/**
 * Waits for the child's first stdout line that parses as JSON with `ready: true` (the protocol of servers/*.mjs).
 * @param {ReturnType<typeof startChild>} handle
 * @param {number} timeoutMs
 * @returns {Promise<Record<string, any>>}
 */
export function waitForReadyLine (handle, timeoutMs) {
  return new Promise((resolve, reject) => {
    const lines = handle.stdoutLines
    const fail = (/** @type {string} */ why) => {
      clearTimeout(timer)
      lines.off('line', onLine)
      reject(new Error(`${handle.name}: ${why}\n  ${handle.stderrTail.join('\n  ')}`))
    }
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs)
    const onExit = (code, signal) => fail(`exited before ready (code ${code}, signal ${signal})`)
    handle.child.once('exit', onExit)
    const onLine = (/** @type {string} */ line) => {
      let message
      try { message = JSON.parse(line) } catch { return }
      // `ready: false` carries the reason a server cannot run (servers/gateway-server.mjs: an API is missing).
      if (message?.ready === false) return fail(String(message.error))
      if (message?.ready !== true) return
      clearTimeout(timer)
      handle.child.off('exit', onExit)
      lines.off('line', onLine)
      resolve(message)
    }
    lines.on('line', onLine)
  })
}

/** Resolves once 127.0.0.1:port accepts a connection (for servers that print nothing, such as nginx). */
export function waitForPort (handle, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (handle.child.exitCode !== null) {
        return reject(new Error(`${handle.name} exited with code ${handle.child.exitCode}\n  ${handle.stderrTail.join('\n  ')}`))
      }
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(undefined) })
      socket.once('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`${handle.name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

/**
 * SIGTERM, then SIGKILL after `graceMs` (5 s). Resolves when the process has exited. A server run with --cpu-prof
 * writes its profile (megabytes of JSON) as it exits, a dozen of them at once on one core: give it longer.
 */
export function stopChild (child, graceMs = 5000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined)
    // A frozen child (and its frozen workers) would hold the SIGTERM until the 5 s SIGKILL, and write no profile.
    thawAll()
    const killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => { clearTimeout(killTimer); resolve(undefined) })
    child.kill('SIGTERM')
  })
}

/** Stops every child still running (servers, nginx, gateway workers' primary), after resuming anything frozen. */
export async function stopAllChildren (graceMs = 5000) {
  thawAll()
  await Promise.all([...running].map((child) => stopChild(child, graceMs)))
}

/**
 * Last resort on a hard exit: resumes whatever is frozen (the databases are not our children here and would stay
 * stopped), then a synchronous SIGKILL of every child left, by PID.
 */
export function killAllChildrenNow () {
  thawAll()
  for (const child of running) {
    try { child.kill('SIGKILL') } catch { /* already gone */ }
  }
}
