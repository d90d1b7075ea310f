// `authgate config check FILE [--strict]`: runs every check `authgate start` runs on a configuration file (keys,
// values, ${VAR}s, the plugin's option and key-material checks, the key directory), then lists the settings that work
// but weaken the gateway. Exit 1 when the file cannot be used (or, with --strict, when anything was warned about).
// `authgate config schema`: prints the file's JSON Schema (the one the checks validate against).
import { createStore } from '@authgate/fastify/stores'
import { MongoSessionStore } from '@authgate/fastify'
import { parseConfig, readConfigFile, type GatewayConfig } from '../config.js'
import { schemaText } from '../config/schema-file.js'
import { checkStartable } from '../startup-checks.js'
import { configWarnings } from './config-warnings.js'
import { buildOffline } from './offline-build.js'
import { MISSING_CONFIG, UsageError, flag, out, parseSubcommand, printHelp, type CommandSpec, type GroupSpec, type ParsedArgs } from './args.js'

const CHECK: CommandSpec = {
  name: 'config check',
  options: { strict: { type: 'boolean' }, config: { type: 'string' } },
  optionalPositionals: ['FILE'],
  usage: `Usage: authgate config check FILE [--strict]
       authgate config check --config FILE [--strict]

Runs every check \`authgate start --config FILE\` runs (unknown keys, values, \${VAR} references, key sizes and
types, the key directory, key ring settings), lists every problem found, or "ok" followed by warnings about
settings that weaken the gateway (trustProxy, plain-HTTP cookies, long token lifetimes or clock tolerance, open
registration, secrets written in the file…). Exit code 0 when valid, 1 when not.

Options:
  --config FILE   the file to check, as on the other commands (instead of FILE)
  --strict        warnings count as problems (exit 1)
  -h, --help      this text`
}

const SCHEMA: CommandSpec = {
  name: 'config schema',
  options: {},
  usage: `Usage: authgate config schema

Prints the configuration file's JSON Schema (what authgate.schema.json ships), for editors and CI.

Options:
  -h, --help   this text`
}

export const CONFIG: GroupSpec = {
  name: 'config',
  usage: CHECK.usage.replace('\n\n', '\n       authgate config schema   prints the configuration file\'s JSON Schema\n\n'),
  commands: { check: CHECK, schema: SCHEMA }
}

async function check (path: string, strict: boolean): Promise<number> {
  const { file, raw } = readConfigFile(path)
  const config = parseConfig(raw, { file, env: process.env, form: 'json' })
  await buildOffline(config)
  await checkStoreUrl(config)
  const startable = checkStartable(config)
  if (!startable.canSign) throw new Error(`${path}: tokens.keysDir holds no signing key (run authgate keygen)`)
  const routes = `${config.routes.length} route${config.routes.length === 1 ? '' : 's'}`
  const keys = startable.keys === 'database' ? 'keys: database key ring' : `${startable.keys} key${startable.keys === 1 ? '' : 's'}`
  const warnings = configWarnings(config, raw)
  out(`${path}: ok (${routes}, ${keys}, store: ${config.store === undefined ? 'in-memory' : 'mongodb'})` +
    (warnings.length === 0 ? '' : `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`))
  for (const warning of warnings) out(`  WARNING ${warning}`)
  if (strict && warnings.length > 0) {
    out(`${path}: --strict: ${warnings.length} warning${warnings.length === 1 ? '' : 's'} count as problems`)
    return 1
  }
  return 0
}

/** The file to check: named as FILE or, as on every other verb, with --config; once. */
function checkedFile (args: ParsedArgs): string {
  const [named] = args.positionals
  const flagged = flag(args, 'config')
  if (named !== undefined && flagged !== undefined) throw new UsageError(`the file is named twice (${named} and --config ${flagged}): give FILE or --config FILE`, CHECK.usage)
  const file = named ?? flagged
  if (file === undefined) throw new UsageError(`FILE or ${MISSING_CONFIG}`, CHECK.usage)
  return file
}

export async function configCommand (argv: readonly string[]): Promise<number> {
  const args = parseSubcommand(argv, CONFIG)
  if (args.help !== undefined) return printHelp(args.help)
  if (args.sub === 'schema') {
    out(schemaText())
    return 0
  }
  return check(checkedFile(args), args.flags.has('strict'))
}

/**
 * The offline build stands in an in-memory store for the database: the MongoDB url is given to the driver here, as
 * start's registration does (a client is created, never connected), so that a url it refuses fails the check too.
 */
async function checkStoreUrl (config: GatewayConfig): Promise<void> {
  if (config.store === undefined) return
  const store = createStore(config.store)
  try {
    if (store instanceof MongoSessionStore) await store.prepare()
  } finally {
    await store.close()
  }
}
