// `authgate config check FILE [--strict]`: runs every check `authgate start` runs on a configuration file (keys,
// values, ${VAR}s, the plugin's option and key-material checks, the key directory), then lists the settings that work
// but weaken the gateway. Exit 1 when the file cannot be used (or, with --strict, when anything was warned about).
import { parseConfig, readConfigFile } from '../config.js'
import { schemaText } from '../config/schema-file.js'
import { checkStartable } from '../startup-checks.js'
import { configWarnings } from './config-warnings.js'
import { buildOffline } from './offline-build.js'
import { UsageError, out, parseArgs } from './args.js'

export const CONFIG_HELP = `Usage: authgate config check FILE [--strict]
       authgate config schema     print the configuration file's JSON Schema

Runs every check \`authgate start --config FILE\` runs (unknown keys, values, \${VAR} references, key sizes and
types, the key directory, key ring settings), prints the first problem found, or "ok" followed by warnings about
settings that weaken the gateway (trustProxy, plain-HTTP cookies, long token lifetimes or clock tolerance, open
registration, secrets written in the file…). Exit code 0 when valid, 1 when not.

Options:
  --strict   warnings count as problems (exit 1)`

export async function configCommand (argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [], ['strict'])
  if (args.flags.has('help')) {
    out(CONFIG_HELP)
    return 0
  }
  const [verb, path, ...rest] = args.positionals
  if (verb === 'schema' && path === undefined) {
    // The file's JSON Schema (what authgate.schema.json ships), for editors and CI.
    out(schemaText())
    return 0
  }
  if (verb !== 'check' || path === undefined || rest.length > 0) throw new UsageError('expected: authgate config check FILE [--strict] or authgate config schema')
  const { file, raw } = readConfigFile(path)
  const config = parseConfig(raw, { file, env: process.env, form: 'json' })
  await buildOffline(config)
  const check = checkStartable(config)
  if (!check.canSign) throw new Error(`${path}: tokens.keysDir holds no signing key (run authgate keygen)`)
  const routes = `${config.routes.length} route${config.routes.length === 1 ? '' : 's'}`
  const keys = check.keys === 'database' ? 'keys: database key ring' : `${check.keys} key${check.keys === 1 ? '' : 's'}`
  const warnings = configWarnings(config, raw)
  out(`${path}: ok (${routes}, ${keys}, store: ${config.store === undefined ? 'in-memory' : 'mongodb'})` +
    (warnings.length === 0 ? '' : `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`))
  for (const warning of warnings) out(`  WARNING ${warning}`)
  if (args.flags.has('strict') && warnings.length > 0) {
    out(`${path}: --strict: ${warnings.length} warning${warnings.length === 1 ? '' : 's'} count as problems`)
    return 1
  }
  return 0
}
