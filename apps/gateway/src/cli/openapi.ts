// `authgate openapi --config FILE`: prints the gateway's OpenAPI 3.1 document (openapi.ts) as JSON on stdout. The
// file is read and checked as `start` reads it; nothing listens and no database or Redis is dialled.
import { parseConfig, readConfigFile } from '../config.js'
import { gatewayDocument } from '../openapi.js'
import { out, parseCommand, printHelp, requiredFlag, type CommandSpec } from './args.js'
import { gatewayVersion } from './version.js'

export const OPENAPI: CommandSpec = {
  name: 'openapi',
  options: { config: { type: 'string' } },
  usage: `Usage: authgate openapi --config FILE

Prints the gateway's OpenAPI 3.1 document as JSON: the auth endpoints under /auth (request and response
schemas, the error body, the bearer security scheme), the forward-auth endpoint when auth.verifyPath is on,
/healthz, /readyz and /metrics. The proxied prefixes are not described as operations (their upstreams own
those APIs): they are listed with their policy in the document's x-authgate-routes. Nothing is started: no
listener, no database or Redis connection.

Options:
  --config FILE   gateway configuration
  -h, --help      this text`
}

export async function openapiCommand (argv: readonly string[]): Promise<number> {
  const args = parseCommand(argv, OPENAPI)
  if (args.help !== undefined) return printHelp(args.help)
  const { file, raw } = readConfigFile(requiredFlag(args, 'config'))
  const config = parseConfig(raw, { file, env: process.env, form: 'json' })
  out(JSON.stringify(await gatewayDocument(config, gatewayVersion()), null, 2))
  return 0
}
