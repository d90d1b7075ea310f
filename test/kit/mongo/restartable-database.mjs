// A FerretDB (SQLite backend) that a fault test can stop, freeze and start again on the SAME port and data folder,
// so a running app sees "the database went away, then came back" without being rebuilt. Separate from the shared
// test database of test/run.mjs: stopping that one would break every other test file.
// The process is stopped by its PID (SIGCONT, SIGTERM, then SIGKILL) on `close()`, and on process exit as a last
// resort, whatever happens to the test.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureFerretDB, spawnFerretDB } from './test-database.mjs'
import { stablePort } from '../ports.mjs'

const live = new Set()
let exitHookInstalled = false

function killAll () {
  for (const child of live) {
    try { process.kill(child.pid, 'SIGCONT') } catch { /* already gone */ }
    try { process.kill(child.pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

// Last resort when a test never reaches its teardown: on exit, and on the signals tap or a user sends (a timeout,
// Ctrl-C). The signal is raised again once our listener is gone when nobody else handles it.
function installExitHook () {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', killAll)
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    const onSignal = () => {
      killAll()
      process.removeListener(signal, onSignal)
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    }
    process.on(signal, onSignal)
  }
}

function canConnect (port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { socket.destroy(); resolve(false) })
  })
}

async function waitFor (predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`restartable database: ${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function kill (child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL') } catch { /* already gone */ } }, 5000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    try { process.kill(child.pid, 'SIGCONT') } catch { /* already gone */ }
    try { process.kill(child.pid, 'SIGTERM') } catch { /* already gone */ }
  })
}

/**
 * Starts a private FerretDB on a free loopback port.
 * @param {{ log?: (line: string) => void, started?: boolean }} [options] `started: false` reserves the port and the
 *   data folder without starting the server (a database down at boot).
 */

/** Blocks (at most 500 ms) until every thread of `pid` is in state T (stopped); without /proc, returns at once. */
function waitUntilStopped (pid) {
  const until = Date.now() + 500
  const pause = new Int32Array(new SharedArrayBuffer(4))
  while (Date.now() < until) {
    let stopped
    try {
      stopped = readdirSync(`/proc/${pid}/task`).every((task) => /\) T /.test(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')))
    } catch {
      return
    }
    if (stopped) return
    Atomics.wait(pause, 0, 0, 1)
  }
}

export async function startRestartableDatabase ({ log = console.error, started = true } = {}) {
  const bin = ensureFerretDB({ log })
  // Not freePort: while this server is stopped, its port must not be handed to anyone else (ports.mjs stablePort).
  const port = await stablePort()
  const dir = mkdtempSync(join(tmpdir(), 'authgate-restartable-db-'))
  installExitHook()
  let child = null
  let frozen = false

  async function start () {
    if (child !== null) throw new Error('restartable database: already running')
    const spawned = spawnFerretDB(bin, dir, port, 'ignore')
    child = spawned
    live.add(spawned)
    spawned.once('exit', () => { live.delete(spawned); if (child === spawned) child = null })
    await waitFor(async () => {
      if (spawned.exitCode !== null) throw new Error(`restartable database: ferretdb exited with code ${spawned.exitCode}`)
      return canConnect(port)
    }, 30_000, `no listener on 127.0.0.1:${port}`)
  }

  async function stop () {
    const running = child
    if (running === null) return
    frozen = false
    await kill(running)
    // The port is free again once nothing accepts on it.
    await waitFor(async () => !(await canConnect(port)), 5000, `127.0.0.1:${port} still accepts connections`)
  }

  /** SIGSTOP: the server keeps its sockets open but answers nothing (a hung database, not a dead one). */
  function freeze () {
    if (child === null) throw new Error('restartable database: not running')
    process.kill(child.pid, 'SIGSTOP')
    frozen = true
    // The signal is queued, not yet obeyed: a test that freezes from a `commandStarted` listener then writes its
    // command at once, and a server not yet stopped answered it (revoke-write-fails got a 204 11 ms after the
    // freeze). Wait, bounded, until every thread of the server is stopped.
    waitUntilStopped(child.pid)
  }

  function thaw () {
    if (child === null || !frozen) return
    process.kill(child.pid, 'SIGCONT')
    frozen = false
  }

  async function close () {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  }

  if (started) {
    try {
      await start()
    } catch (error) {
      await close()
      throw error
    }
  }

  return {
    url: `mongodb://127.0.0.1:${port}/`,
    port,
    dir,
    get pid () { return child?.pid },
    get running () { return child !== null },
    start,
    stop,
    freeze,
    thaw,
    close
  }
}
