// The `authgate` command's dispatcher (cli.ts runs it on process.argv). Exit codes: 0 success, 1 failure (bad
// config, unreachable store, failed check), 2 usage error (unknown command or option, stray or missing argument),
// 130 the password prompt was interrupted (Ctrl-C).
// Only the argument parser is loaded up front: a command's module (and what it needs: the config reader, the plugin,
// Fastify) is imported once its verb is chosen, so the top-level --help, --version and usage errors (no verb, an
// unknown one) stay quick. A verb's own --help and usage errors are answered by its module, so they load it.
import { UsageError, isHelpFlag, out, wantsHelp } from './args.js'
import { InputAborted } from './input-aborted.js'
import { closest } from './suggest.js'
import { gatewayVersion } from './version.js'

const HELP = `Usage: authgate <command> [options]

Commands:
  start [--config FILE] [--port N] [--host H]    run the gateway (no config: the embedded demo)
  keygen [--alg EdDSA] [--out DIR]               write a signing key set
  keys rotate|retire|list --config FILE          manage the signing keys kept in the database
  token --config FILE --sub ID [--roles a,b] [--ttl 1h]   mint an access token
  user add --email E [--roles a,b] --config FILE create a user (password from the terminal or stdin)
  user list|show|disable|enable|delete|set-roles|set-password (--id ID | --email E) --config FILE
                                                 administer users (as the admin API does)
  user revoke-sessions --id ID --config FILE     end every session of a user
  config check FILE [--strict]                   run start's checks on a file, list warnings
  config schema                                  print the configuration file's JSON Schema
  doctor --config FILE [--url URL] [--strict]    audit settings and probe a running gateway
  openapi --config FILE                          print the gateway's OpenAPI 3.1 document (JSON)

Options:
  -h, --help       this text; \`authgate <command> --help\` (or \`authgate help <command>\`) describes each command
  -V, --version    the version of authgate`

type Command = (argv: readonly string[]) => number | Promise<number>

interface LoadedCommand { readonly run: Command, readonly usage: string }

const COMMANDS: Record<string, () => Promise<LoadedCommand>> = {
  start: async () => { const m = await import('./start.js'); return { run: m.startCommand, usage: m.START.usage } },
  keygen: async () => { const m = await import('./keys.js'); return { run: m.keygenCommand, usage: m.KEYGEN.usage } },
  keys: async () => { const m = await import('./keys-ring.js'); return { run: m.keysCommand, usage: m.KEYS.usage } },
  token: async () => { const m = await import('./keys.js'); return { run: m.tokenCommand, usage: m.TOKEN.usage } },
  user: async () => { const m = await import('./users.js'); return { run: m.userCommand, usage: m.USER.usage } },
  config: async () => { const m = await import('./config-check.js'); return { run: m.configCommand, usage: m.CONFIG.usage } },
  doctor: async () => { const m = await import('./doctor.js'); return { run: m.doctorCommand, usage: m.DOCTOR.usage } },
  openapi: async () => { const m = await import('./openapi.js'); return { run: m.openapiCommand, usage: m.OPENAPI.usage } }
}

function usageError (message: string, usage: string): number {
  console.error(`authgate: ${message}\n\n${usage}`)
  return 2
}

function unknownCommand (name: string): number {
  const near = closest(name, Object.keys(COMMANDS))
  return usageError(`unknown command ${name}` + (near === undefined ? '' : ` (did you mean ${near}?)`), HELP)
}

/**
 * The command line as `VERB ARGS…` when it names a verb, with help moved behind the verb: `authgate -h start` and
 * `authgate help user add` become `start --help`, `user --help add`, which the verb's own parser answers with its
 * usage (and so starts nothing). A number: answered here (help, the version, or a usage error).
 */
function route (argv: readonly string[]): number | { name: string, args: readonly string[] } {
  // Leading `help`, -h and --help only say "help"; what follows them names the topic.
  let start = 0
  while (start < argv.length && (isHelpFlag(argv[start] ?? '') || argv[start] === 'help')) start++
  const [name, ...rest] = argv.slice(start)
  const help = start > 0 || wantsHelp(argv)
  if (name === undefined) return help ? (out(HELP), 0) : usageError('which command?', HELP)
  // After the verb, -h/--help is the verb's to answer.
  if (COMMANDS[name] !== undefined) return { name, args: start > 0 ? ['--help', ...rest] : rest }
  // `authgate --version -h`, `authgate -h --verison`: no verb, so the global usage.
  if (help && name.startsWith('-')) return (out(HELP), 0)
  if (name === '-V' || name === '--version') {
    if (rest.length > 0) return usageError(`unexpected argument ${rest[0] ?? ''}`, HELP)
    out(gatewayVersion())
    return 0
  }
  if (name.startsWith('-')) return usageError(`unknown option ${name}`, HELP)
  return unknownCommand(name)
}

export async function main (argv: readonly string[]): Promise<number> {
  const routed = route(argv)
  if (typeof routed === 'number') return routed
  const { name, args } = routed
  const load = COMMANDS[name]
  if (load === undefined) return unknownCommand(name)
  let command: LoadedCommand
  try {
    command = await load()
  } catch (error) {
    // A broken install (a missing dependency, a syntax error in a build): say which verb, not a raw stack.
    console.error(`authgate ${name}: cannot load the command: ${(error as Error).message}`)
    return 1
  }
  try {
    return await command.run(args)
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`authgate ${name}: ${error.message}\n\n${error.usage ?? command.usage}`)
      return 2
    }
    if (error instanceof InputAborted) return 130
    // Config errors already name the file and key; others are reported by message (no stack for expected failures).
    console.error(`authgate ${name}: ${(error as Error).message}`)
    return 1
  }
}
