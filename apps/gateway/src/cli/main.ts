// The `authgate` command's dispatcher (cli.ts runs it on process.argv). Exit codes: 0 success, 1 failure (bad
// config, unreachable store, failed check), 2 usage error (unknown command or option, missing argument).
import { ConfigError } from '../config.js'
import { UsageError, out } from './args.js'
import { CONFIG_HELP, configCommand } from './config-check.js'
import { DOCTOR_HELP, doctorCommand } from './doctor.js'
import { KEYGEN_HELP, TOKEN_HELP, keygenCommand, tokenCommand } from './keys.js'
import { KEYS_HELP, keysCommand } from './keys-ring.js'
import { START_HELP, startCommand } from './start.js'
import { USER_HELP, userCommand } from './users.js'

const HELP = `Usage: authgate <command> [options]

Commands:
  start [--config FILE]                          run the gateway (no config: the embedded demo)
  keygen [--alg EdDSA] [--out DIR]               write a signing key set
  keys rotate|retire|list --config FILE          manage the signing keys kept in the database
  token --config FILE --sub ID [--roles a,b] [--ttl 1h]   mint an access token
  user add --email E [--roles a,b] --config FILE create a user (password from stdin)
  user revoke-sessions --id ID --config FILE     end every session of a user
  config check FILE [--strict]                   run start's checks on a file, list warnings
  config schema                                  print the configuration file's JSON Schema
  doctor --config FILE [--url URL] [--strict]    audit settings and probe a running gateway

\`authgate <command> --help\` describes each command.`

type Command = (argv: readonly string[]) => number | Promise<number>

const COMMANDS: Record<string, { run: Command, help: string }> = {
  start: { run: startCommand, help: START_HELP },
  keygen: { run: keygenCommand, help: KEYGEN_HELP },
  keys: { run: keysCommand, help: KEYS_HELP },
  token: { run: tokenCommand, help: TOKEN_HELP },
  user: { run: userCommand, help: USER_HELP },
  config: { run: configCommand, help: CONFIG_HELP },
  doctor: { run: doctorCommand, help: DOCTOR_HELP }
}

export async function main (argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(HELP)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    console.error(`authgate: unknown command ${name}\n\n${HELP}`)
    return 2
  }
  try {
    return await command.run(rest)
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`authgate ${name}: ${error.message}\n\n${command.help}`)
      return 2
    }
    // Config errors already name the file and key; others are reported by message (no stack for expected failures).
    console.error(`authgate ${name}: ${error instanceof ConfigError ? error.message : (error as Error).message}`)
    return 1
  }
}
