// The `authgate` command's dispatcher (cli.ts runs it on process.argv). Exit codes: 0 success, 1 failure (bad
// config, unreachable store, failed check), 2 usage error (unknown command or option, stray or missing argument),
// 130 the password prompt was interrupted (Ctrl-C).
import { ConfigError } from '../config.js'
import { UsageError, out } from './args.js'
import { CONFIG, configCommand } from './config-check.js'
import { DOCTOR, doctorCommand } from './doctor.js'
import { KEYGEN, TOKEN, keygenCommand, tokenCommand } from './keys.js'
import { KEYS, keysCommand } from './keys-ring.js'
import { InputAborted } from './password-input.js'
import { START, startCommand } from './start.js'
import { closest } from './suggest.js'
import { USER, userCommand } from './users.js'
import { gatewayVersion } from './version.js'

const HELP = `Usage: authgate <command> [options]

Commands:
  start [--config FILE] [--port N] [--host H]    run the gateway (no config: the embedded demo)
  keygen [--alg EdDSA] [--out DIR]               write a signing key set
  keys rotate|retire|list --config FILE          manage the signing keys kept in the database
  token --config FILE --sub ID [--roles a,b] [--ttl 1h]   mint an access token
  user add --email E [--roles a,b] --config FILE create a user (password from the terminal or stdin)
  user revoke-sessions --id ID --config FILE     end every session of a user
  config check FILE [--strict]                   run start's checks on a file, list warnings
  config schema                                  print the configuration file's JSON Schema
  doctor --config FILE [--url URL] [--strict]    audit settings and probe a running gateway

Options:
  -h, --help       this text; \`authgate <command> --help\` describes each command
  -V, --version    the version of authgate`

type Command = (argv: readonly string[]) => number | Promise<number>

const COMMANDS: Record<string, { run: Command, usage: string }> = {
  start: { run: startCommand, usage: START.usage },
  keygen: { run: keygenCommand, usage: KEYGEN.usage },
  keys: { run: keysCommand, usage: KEYS.usage },
  token: { run: tokenCommand, usage: TOKEN.usage },
  user: { run: userCommand, usage: USER.usage },
  config: { run: configCommand, usage: CONFIG.usage },
  doctor: { run: doctorCommand, usage: DOCTOR.usage }
}

function usageError (message: string, usage: string): number {
  console.error(`authgate: ${message}\n\n${usage}`)
  return 2
}

/** What the first argument names when it is no command: help, the version, or a usage error (undefined: a command). */
function topLevel (name: string | undefined, rest: readonly string[]): number | undefined {
  if (name === undefined) return usageError('which command?', HELP)
  if (name === '-h' || name === '--help') return rest.length === 0 ? (out(HELP), 0) : usageError(`unexpected argument ${rest[0] ?? ''}`, HELP)
  if (name === '-V' || name === '--version') {
    if (rest.length > 0) return usageError(`unexpected argument ${rest[0] ?? ''}`, HELP)
    out(gatewayVersion())
    return 0
  }
  if (name === 'help') {
    // `authgate help start`: that command's usage.
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]]
    if (rest.length > 1 || (rest[0] !== undefined && topic === undefined)) return usageError(`no help on ${rest.join(' ')}`, HELP)
    out(topic?.usage ?? HELP)
    return 0
  }
  if (COMMANDS[name] !== undefined) return undefined
  if (name.startsWith('-')) return usageError(`unknown option ${name}`, HELP)
  const near = closest(name, Object.keys(COMMANDS))
  return usageError(`unknown command ${name}` + (near === undefined ? '' : ` (did you mean ${near}?)`), HELP)
}

export async function main (argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  const answered = topLevel(name, rest)
  if (answered !== undefined || name === undefined) return answered ?? 2
  const command = COMMANDS[name]
  if (command === undefined) return 2
  try {
    return await command.run(rest)
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`authgate ${name}: ${error.message}\n\n${error.usage ?? command.usage}`)
      return 2
    }
    if (error instanceof InputAborted) return 130
    // Config errors already name the file and key; others are reported by message (no stack for expected failures).
    console.error(`authgate ${name}: ${error instanceof ConfigError ? error.message : (error as Error).message}`)
    return 1
  }
}
