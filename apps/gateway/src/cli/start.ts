// `authgate start [--config FILE] [--port N] [--host H]`: the gateway from a configuration file, or the embedded demo.
import { parseConfig, readConfigFile } from '../config.js'
import { closeOnSignals, cluster, runPrimary, startServer } from '../server.js'
import { configWarnings } from './config-warnings.js'
import { embeddedBanner, embeddedSetup } from './embedded.js'
import { buildOffline } from './offline-build.js'
import { flag, out, parseCommand, printHelp, type CommandSpec } from './args.js'
import { listenOverrides, withListenOverrides, type ListenOverrides } from './listen-overrides.js'

export const START: CommandSpec = {
  name: 'start',
  options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
  usage: `Usage: authgate start [--config FILE] [--port N] [--host ADDRESS]

Runs the gateway. With --config, from that YAML/JSON file (\${VAR} reads the environment).
Without it, the embedded demo: development keys in .authgate-dev/keys, the demo upstream, routes /public, /api
and /admin, a demo user, and an in-memory store (MongoDB when MONGODB_URL is set). It prints how to try it.

Options:
  --config FILE     configuration file
  --port N          port to listen on, instead of server.port (embedded demo: 8080, or a free one when taken)
  --host ADDRESS    address to listen on, instead of server.host (default 127.0.0.1)
  -h, --help        this text`
}

async function startFromFile (path: string, overrides: ListenOverrides): Promise<number> {
  const { file, raw } = readConfigFile(path)
  const config = withListenOverrides(parseConfig(raw, { file, env: process.env, form: 'json' }), overrides)
  if (config.server.workers > 1 && cluster.isPrimary) {
    // What `config check` runs (the app each worker builds, built once offline): a bad file fails before any fork.
    // (Workers run this command again with the same arguments, so they apply the same overrides.)
    await buildOffline(config)
    for (const warning of configWarnings(config, raw)) console.warn(`authgate: ${warning}`)
    out(`authgate: starting ${config.server.workers} workers on ${config.server.host}:${config.server.port}`)
    return runPrimary(config.server.workers, (message) => { console.warn(`authgate: ${message}`) })
  }
  const running = await startServer(config)
  if (cluster.isPrimary) for (const warning of configWarnings(config, raw)) running.app.log.warn(`authgate: ${warning}`)
  closeOnSignals(running.app)
  if (cluster.isPrimary) out(`authgate listening on ${running.url}`)
  if (cluster.isPrimary && running.opsUrl !== undefined) out(`authgate operations listener (/healthz, /readyz, /metrics) on ${running.opsUrl}`)
  return new Promise<number>(() => { /* runs until a signal ends the process */ })
}

async function startEmbedded (overrides: ListenOverrides): Promise<number> {
  const host = overrides.host ?? '127.0.0.1'
  let setup = await embeddedSetup(process.env, overrides.port ?? 8080, host)
  let running
  try {
    running = await startServer(setup.config, { store: setup.store, ...(setup.demo === undefined ? {} : { demo: setup.demo }) })
  } catch (error) {
    // Whatever happens next, the demo upstream and store of this attempt are not used again.
    await setup.upstream.close()
    await setup.store.close()
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || overrides.port !== undefined) throw error
    // 8080 is taken: any free port will do for a demo.
    setup = await embeddedSetup(process.env, 0, host)
    running = await startServer(setup.config, { store: setup.store, ...(setup.demo === undefined ? {} : { demo: setup.demo }) })
  }
  const { upstream, store } = setup
  closeOnSignals(running.app, async () => {
    await upstream.close()
    await store.close()
  })
  out(embeddedBanner(running.url, setup))
  return new Promise<number>(() => { /* runs until a signal ends the process */ })
}

export async function startCommand (argv: readonly string[]): Promise<number> {
  const args = parseCommand(argv, START)
  if (args.help !== undefined) return printHelp(args.help)
  const overrides = listenOverrides(args)
  const file = flag(args, 'config')
  return file === undefined ? startEmbedded(overrides) : startFromFile(file, overrides)
}
