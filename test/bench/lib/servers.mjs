// Starting one server child: spawned unpinned (so TypeScript start-ups spread over both cores), then, once it prints
// its ready line, pinned to the server core. Node scripts only; nginx has its own module.
import { fileURLToPath } from 'node:url'
import { startChild, waitForReadyLine } from './children.mjs'
import { pinPid, SERVER_CORE } from './placement.mjs'

export const SERVERS_DIR = fileURLToPath(new URL('../servers/', import.meta.url))
export const SETUP_DIR = fileURLToPath(new URL('../setup/', import.meta.url))

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
    ready = await waitForReadyLine(handle, options.timeoutMs ?? 60_000)
  } catch (error) {
    await handle.stop()
    throw error
  }
  if (options.pin !== false) pinPid(handle.child.pid, SERVER_CORE)
  return { name, port: ready.port, pid: handle.child.pid, ready, stdoutTail: handle.stdoutTail, stop: handle.stop }
}
