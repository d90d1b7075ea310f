// Starting one server child: spawned with the bench's own affinity (every core: the bench pins itself only once the
// servers are up, so TypeScript start-ups spread over both cores), then, once it prints its ready line, pinned to the
// server core. Node scripts only; nginx has its own module.
import { fileURLToPath } from 'node:url'
import { startChild, waitForReadyLine } from './children.mjs'
import { pinPid, SERVER_CORE } from './placement.mjs'

export const SERVERS_DIR = fileURLToPath(new URL('../servers/', import.meta.url))
export const SETUP_DIR = fileURLToPath(new URL('../setup/', import.meta.url))
/**
 * How long a server may take to print its ready line. A dozen start together (each ≈ 2.3 s of CPU with a warm
 * transpile cache); with other work on the machine (load 15–18 seen) that took over 60 s, and a scenario skipped for
 * a slow start says nothing about the server, so the limit is generous.
 */
export const START_TIMEOUT_MS = 150_000

/**
 * @param {string} name
 * @param {string} script absolute path
 * @param {{ env?: Record<string, string>, ts?: { args: string[], env: Record<string, string> }, timeoutMs?: number,
 *   pin?: boolean, nodeArgs?: string[] }} [options]
 * @returns {Promise<{ name: string, port: number, pid: number | undefined, ready: Record<string, any>, stdoutTail: string[],
 *   stop: () => Promise<void> }>}
 */
export async function startNodeServer (name, script, options = {}) {
  const args = [...(options.ts?.args ?? []), ...(options.nodeArgs ?? []), script]
  const handle = startChild(name, process.execPath, args, { env: { ...process.env, ...options.ts?.env, ...options.env } })
  let ready
  try {
    ready = await waitForReadyLine(handle, options.timeoutMs ?? START_TIMEOUT_MS)
  } catch (error) {
    await handle.stop()
    throw error
  }
  if (options.pin !== false) {
    const astray = pinPid(handle.child.pid, SERVER_CORE)
    if (astray.length) {
      await handle.stop()
      throw new Error(`${name}: ${astray.length} threads could not be pinned to core ${SERVER_CORE}`)
    }
  }
  return { name, port: ready.port, pid: handle.child.pid, ready, stdoutTail: handle.stdoutTail, stop: handle.stop }
}
