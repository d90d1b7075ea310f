// The Redis the shared-rate-limit tests run against: REDIS_URL if set; else a `redis-server` from PATH on a free
// loopback port, without persistence, in a temporary folder, stopped by its PID. Plain JavaScript on purpose: the
// test runner starts it before any TypeScript loader exists. No redis-server and no REDIS_URL: the tests that need
// Redis skip with a message, or fail when CI is set (a CI run must not pass by skipping them).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { which } from '../mongo/test-database.mjs'
import { freePort } from '../ports.mjs'

function waitForPort (port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`redis-server exited early with code ${child.exitCode}`))
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve() })
      socket.once('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

function stopChild (child, dir) {
  return new Promise((resolve) => {
    const done = () => { rmSync(dir, { recursive: true, force: true }); resolve() }
    if (child.exitCode !== null || child.signalCode !== null) return done()
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(killTimer); done() })
    child.kill('SIGTERM')
  })
}

/**
 * A redis-server of our own (loopback only, no persistence), on `port` or a free one. Throws when redis-server is not
 * on PATH.
 * @param {{ port?: number }} [options]
 * @returns {Promise<{ url: string, port: number, pid: number | undefined, stop: () => Promise<void> }>}
 */
export async function startRedisServer ({ port: wanted } = {}) {
  const bin = which('redis-server')
  if (bin === null) throw new Error('redis-server is not on PATH (scripts/install-system-deps.sh installs it)')
  const port = wanted ?? await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'authgate-redis-'))
  const child = spawn(bin, [
    '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--dir', dir
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    await waitForPort(port, child, 15_000)
  } catch (err) {
    await stopChild(child, dir)
    throw err
  }
  let stopping
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, stop: () => (stopping ??= stopChild(child, dir)) }
}

/**
 * The test Redis for test/run.mjs: REDIS_URL, else a redis-server it starts; null when neither is available.
 * @returns {Promise<{ url: string, kind: string, pid?: number, stop: () => Promise<void> } | null>}
 */
export async function startTestRedis () {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, kind: 'REDIS_URL (external server)', stop: async () => {} }
  if (which('redis-server') === null) return null
  const server = await startRedisServer()
  return { url: server.url, kind: `redis-server (${which('redis-server')})`, pid: server.pid, stop: server.stop }
}

/**
 * REDIS_URL for a test file, or undefined after failing `t` (CI set) or planning it as skipped (otherwise).
 * Register the file's tests only when a URL came back.
 */
export function testRedisUrl (t) {
  const url = process.env.REDIS_URL
  if (url) return url
  const message = 'needs Redis: REDIS_URL is not set (test/run.mjs sets it when redis-server is on PATH or REDIS_URL is given)'
  if (process.env.CI) t.fail(message)
  else t.plan(0, message)
  return undefined
}
