// `gateway-auth-workers`: the gateway started the way users start it, `authgate start --config FILE`, with
// `server.workers: 2`. Worker processes are the CLI's business (buildApp builds one app), so this one goes through
// the CLI source. Started under taskset on every core (workers inherit it): the point of workers is using every
// core, so they are not held to the server core. On a 2-core machine one of those cores also runs the load
// generator, so this shows the workers spreading, not the speed-up they would give on cores of their own.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '@authgate/test-kit/ports'
import { startChild, waitForPort } from './children.mjs'
import { ALL_CORES, allowedCores, childPids } from './placement.mjs'
import { REPO_ROOT } from '@authgate/test-kit/node-args'
import { writeGatewayConfig } from './gateway-config.mjs'
import { START_TIMEOUT_MS } from './servers.mjs'

export const WORKERS = 2

/** `nodeArgs` go to the primary; cluster workers inherit them (its execArgv), so --cpu-prof profiles each of them too. */
export async function startGatewayWorkers ({ dir, ts, upstreamUrl, keysDir, nodeArgs = [] }) {
  const cli = join(REPO_ROOT, 'apps', 'gateway', 'src', 'cli.ts')
  if (!existsSync(cli)) throw new Error('no gateway CLI source (apps/gateway/src/cli.ts)')
  const port = await freePort()
  const config = writeGatewayConfig({ dir, name: 'workers', algorithm: 'EdDSA', keysDir, upstreamUrl, port, workers: WORKERS })
  const handle = startChild('gateway-workers', process.execPath, [...ts.args, ...nodeArgs, cli, 'start', '--config', config], {
    core: ALL_CORES, env: { ...process.env, ...ts.env }
  })
  try {
    // Three processes load the sources at once (lib/servers.mjs START_TIMEOUT_MS: why the limit is generous).
    await waitForPort(handle, port, START_TIMEOUT_MS)
  } catch (error) {
    await handle.stop()
    throw error
  }
  const pid = handle.child.pid
  // The primary is `taskset`'s exec'd process itself (same pid); its children are the workers.
  const workerPids = () => (pid === undefined ? [] : childPids(pid))
  return { port, pid, workers: WORKERS, workerPids, allowed: () => (pid === undefined ? '?' : allowedCores(pid)), stop: handle.stop }
}
