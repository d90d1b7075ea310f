// `gateway-auth-workers`: the gateway started the way users start it, `authgate start --config FILE`, with
// `server.workers: 2`. Worker processes are the CLI's business (buildApp builds one app), so this one goes through
// the CLI source. Started under taskset so the workers it forks inherit the server core: on a 2-core machine
// whose other core runs the load generator, this measures the cost of the worker arrangement, not a speed-up.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../mongo/test-database.mjs'
import { startChild, waitForPort } from './children.mjs'
import { SERVER_CORE } from './placement.mjs'
import { REPO_ROOT } from './typescript.mjs'
import { writeGatewayConfig } from './gateway-config.mjs'

export const WORKERS = 2

export async function startGatewayWorkers ({ dir, ts, upstreamUrl, keysDir }) {
  const cli = join(REPO_ROOT, 'apps', 'gateway', 'src', 'cli.ts')
  if (!existsSync(cli)) throw new Error('no gateway CLI source (apps/gateway/src/cli.ts)')
  const port = await freePort()
  const config = writeGatewayConfig({ dir, name: 'workers', algorithm: 'EdDSA', keysDir, upstreamUrl, port, workers: WORKERS })
  const handle = startChild('gateway-workers', process.execPath, [...ts.args, cli, 'start', '--config', config], {
    core: SERVER_CORE, env: { ...process.env, ...ts.env }
  })
  try {
    await waitForPort(handle, port, 60_000)
  } catch (error) {
    await handle.stop()
    throw error
  }
  return { port, pid: handle.child.pid, workers: WORKERS, stop: handle.stop }
}
