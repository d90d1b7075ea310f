// The gateway under test, in-process like `authgate start` but on a port the kernel picks: reads the config file
// named by BENCH_GATEWAY_CONFIG with the gateway's own loader (so the file is checked exactly as the CLI would),
// builds the app with buildApp(config) and listens on 127.0.0.1. Run with the TypeScript loader.
// Prints `{"ready":true,"port":N}`; `{"ready":false,"error":...}` and exit code 3 when the gateway lacks an API.
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { REPO_ROOT } from '@authgate/test-kit/node-args'

const configPath = process.env.BENCH_GATEWAY_CONFIG
if (!configPath) throw new Error('BENCH_GATEWAY_CONFIG is required')

/** The gateway's modules: its package entry, then its source files directly (the entry may not re-export them). */
async function gatewayModules () {
  // BENCH_GATEWAY_MODULE: another build to measure instead (e.g. apps/gateway/dist/index.js), taking precedence.
  const override = process.env.BENCH_GATEWAY_MODULE
  const modules = override ? [await import(pathToFileURL(override).href)] : []
  modules.push(await import('@authgate/gateway'))
  for (const file of ['app.ts', 'config.ts']) {
    try { modules.push(await import(pathToFileURL(join(REPO_ROOT, 'apps', 'gateway', 'src', file)).href)) } catch { /* absent */ }
  }
  return modules
}

function pick (modules, names) {
  for (const name of names) {
    for (const module of modules) if (typeof module[name] === 'function') return module[name]
  }
  return undefined
}

function giveUp (error) {
  console.log(JSON.stringify({ ready: false, error }))
  process.exit(3)
}

const modules = await gatewayModules()
const buildApp = pick(modules, ['buildApp'])
if (!buildApp) giveUp('apps/gateway exports no buildApp(config)')
// A loader that takes the file path (YAML/JSON, ${VAR}, validation), as `authgate start --config` uses.
const loadConfig = pick(modules, ['loadConfig', 'loadConfigFile', 'readConfigFile', 'readConfig'])
if (!loadConfig) giveUp('apps/gateway exports no config loader (loadConfig/readConfig)')

const config = await loadConfig(configPath)
const app = await buildApp(config)
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }))

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => { void app.close().then(() => process.exit(0)) })
