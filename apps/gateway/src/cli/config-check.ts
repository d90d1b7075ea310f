// `authgate config check FILE`: validates a configuration file (keys, values, ${VAR}s, the key directory) and
// prints what is wrong; exit 1 when anything is.
import { loadConfig } from '../config.js'
import { configKeys } from './keys.js'
import { UsageError, out, parseArgs } from './args.js'

export const CONFIG_HELP = `Usage: authgate config check FILE

Validates FILE as \`authgate start --config FILE\` would (unknown keys, values, \${VAR} references, the key
directory) and prints the first problem found. Exit code 0 when valid, 1 when not.`

export function configCommand (argv: readonly string[]): number {
  const args = parseArgs(argv, [])
  if (args.flags.has('help')) {
    out(CONFIG_HELP)
    return 0
  }
  const [verb, file, ...rest] = args.positionals
  if (verb !== 'check' || file === undefined || rest.length > 0) throw new UsageError('expected: authgate config check FILE')
  const config = loadConfig(file)
  if (config.tokens.keyStore === 'database') {
    // The keys are in the database: `authgate keys list --config FILE` shows them.
    out(`${file}: ok (${config.routes.length} route${config.routes.length === 1 ? '' : 's'}, keys: database key ring, store: mongodb)`)
    return 0
  }
  const keys = configKeys(config)
  if (!keys.some((key) => key.privateKey !== undefined || key.secret !== undefined)) throw new Error(`${file}: tokens.keysDir holds no signing key (run authgate keygen)`)
  out(`${file}: ok (${config.routes.length} route${config.routes.length === 1 ? '' : 's'}, ${keys.length} key${keys.length === 1 ? '' : 's'}, store: ${config.store === undefined ? 'in-memory' : 'mongodb'})`)
  return 0
}
