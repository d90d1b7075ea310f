// `authgate start [--config FILE]`: the gateway from a configuration file, or the embedded demo default.
import { parseConfig, readConfigFile } from '../config.js'
import { closeOnSignals, cluster, runPrimary, startServer } from '../server.js'
import { configWarnings } from './config-warnings.js'
import { embeddedBanner, embeddedSetup } from './embedded.js'
import { buildOffline } from './offline-build.js'
import { flag, out, parseArgs } from './args.js'

export const START_HELP = `Usage: authgate start [--config FILE]

Runs the gateway. With --config, from that YAML/JSON file (\${VAR} reads the environment).
Without it, the embedded demo: development keys in .authgate-dev/keys, the demo upstream, routes /public, /api
and /admin, a demo user, and an in-memory store (MongoDB when MONGODB_URL is set). It prints how to try it.

Options:
  --config FILE   configuration file
  --port N        embedded mode only: port to listen on (default 8080, or a free one when 8080 is taken)
  --help          this text`

async function startFromFile (path: string): Promise<number> {
  const { file, raw } = readConfigFile(path)
  const config = parseConfig(raw, { file, env: process.env, form: 'json' })
  if (config.server.workers > 1 && cluster.isPrimary) {
    // What `config check` runs (the app each worker builds, built once offline): a bad file fails before any fork.
    await buildOffline(config)
    for (const warning of configWarnings(config, raw)) console.warn(`authgate: ${warning}`)
    out(`authgate: starting ${config.server.workers} workers on ${config.server.host}:${config.server.port}`)
    return runPrimary(config.server.workers, (message) => { console.warn(`authgate: ${message}`) })
  }
  const running = await startServer(config)
  if (cluster.isPrimary) for (const warning of configWarnings(config, raw)) running.app.log.warn(`authgate: ${warning}`)
  closeOnSignals(running.app)
  if (cluster.isPrimary) out(`authgate listening on ${running.url}`)
  return new Promise<number>(() => { /* runs until a signal ends the process */ })
}

async function startEmbedded (portFlag: string | undefined): Promise<number> {
  const wanted = portFlag === undefined ? 8080 : Number(portFlag)
  let setup = await embeddedSetup(process.env, wanted)
  let running
  try {
    running = await startServer(setup.config, { store: setup.store, ...(setup.demo === undefined ? {} : { demo: setup.demo }) })
  } catch (error) {
    // Whatever happens next, the demo upstream and store of this attempt are not used again.
    await setup.upstream.close()
    await setup.store.close()
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || portFlag !== undefined) throw error
    // 8080 is taken: any free loopback port will do for a demo.
    setup = await embeddedSetup(process.env, 0)
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
  const args = parseArgs(argv, ['config', 'port'])
  if (args.flags.has('help')) {
    out(START_HELP)
    return 0
  }
  const file = flag(args, 'config')
  return file === undefined ? startEmbedded(flag(args, 'port')) : startFromFile(file)
}
