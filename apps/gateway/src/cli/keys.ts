// `authgate keygen` and `authgate token`: key material and access tokens from the command line.
import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { ACCESS_ALGORITHMS, createAccessTokenService, generateKey, loadKeysDir, writeKeysDir, type AccessAlgorithm, type KeyInput } from '@authgate/fastify/tokens'
import { parseDuration } from '@authgate/fastify/config'
import { loadConfig, type GatewayConfig } from '../config.js'
import { identityFlagError } from './user-identity.js'
import { UsageError, flag, list, out, parseCommand, printHelp, requiredFlag, type CommandSpec } from './args.js'
import { signWithKeyRing } from './keys-ring.js'

export const KEYGEN: CommandSpec = {
  name: 'keygen',
  options: { alg: { type: 'string' }, out: { type: 'string' } },
  usage: `Usage: authgate keygen [--alg EdDSA] [--out DIR]

Writes a new signing key to DIR (default ./keys) as PEM files (private ones mode 0600) plus keys.json, the
manifest that tokens.keysDir points at. Keys already in DIR are kept, for verification only, so tokens they
signed stay valid while you rotate; remove them from keys.json once those tokens have expired.

Options:
  --alg ALG    ${ACCESS_ALGORITHMS.join(', ')} (default EdDSA; HS* write a random 64-byte secret)
  --out DIR    key directory (default ./keys)
  -h, --help   this text`
}

export const TOKEN: CommandSpec = {
  name: 'token',
  options: { config: { type: 'string' }, sub: { type: 'string' }, roles: { type: 'string' }, ttl: { type: 'string' }, sid: { type: 'string' } },
  usage: `Usage: authgate token --config FILE --sub ID [--roles a,b] [--ttl 1h]

Prints an access token signed with the configuration's signing key (nothing else, so it fits in
$(...)), e.g. autocannon -H "authorization: Bearer $(authgate token --config authgate.yaml --sub u1)".

Options:
  --config FILE   gateway configuration (its tokens.keysDir, issuer, audience)
  --sub ID        the user id (x-user-id upstream)
  --roles a,b     roles (default none)
  --ttl DURATION  lifetime, e.g. 15m, 1h (default tokens.accessTtl; at most tokens.maxTtl)
  --sid ID        the session id claim (default a fresh cli-… id)
  -h, --help      this text`
}

export function keygenCommand (argv: readonly string[]): number {
  const args = parseCommand(argv, KEYGEN)
  if (args.help !== undefined) return printHelp(args.help)
  const algorithm = flag(args, 'alg') ?? 'EdDSA'
  if (!(ACCESS_ALGORITHMS as readonly string[]).includes(algorithm)) throw new UsageError(`--alg must be one of ${ACCESS_ALGORITHMS.join(', ')}`)
  const dir = resolve(flag(args, 'out') ?? 'keys')
  let previous: KeyInput[] = []
  try {
    previous = loadKeysDir(dir)
  } catch {
    // No key set there yet (or an unreadable one, which writeKeysDir replaces).
  }
  const key = generateKey(algorithm as AccessAlgorithm)
  writeKeysDir(dir, [key, ...previous.filter((old) => old.kid !== key.kid)], key.kid)
  out(`wrote ${algorithm} key ${key.kid} to ${dir} (signing key)` + (previous.length > 0 ? `; ${previous.length} earlier key(s) kept for verification` : ''))
  return 0
}

/** The key set of a configuration, or a message saying why it cannot be used. */
export function configKeys (config: GatewayConfig): KeyInput[] {
  if (config.tokens.keys !== undefined) return [...config.tokens.keys] as KeyInput[]
  if (config.tokens.keyRing !== undefined) throw new Error('tokens.keyRing keeps the keys in the database (see authgate keys list)')
  const dir = config.tokens.keysDir ?? ''
  try {
    return loadKeysDir(dir)
  } catch (error) {
    throw new Error(`tokens.keysDir: ${(error as Error).message}`)
  }
}

export async function tokenCommand (argv: readonly string[]): Promise<number> {
  const args = parseCommand(argv, TOKEN)
  if (args.help !== undefined) return printHelp(args.help)
  const config = loadConfig(requiredFlag(args, 'config'))
  const sub = requiredFlag(args, 'sub')
  const ttlText = flag(args, 'ttl')
  let ttlSeconds: number | undefined
  if (ttlText !== undefined) {
    try {
      ttlSeconds = Math.round(parseDuration(ttlText, '--ttl') / 1000)
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
  }
  const accessTtl = config.tokenTimes.accessTtlMs / 1000
  const maxTtl = config.tokenTimes.maxTtlMs / 1000
  // The gateway refuses tokens that live longer than tokens.maxTtl: minting one would only produce 401s.
  if (ttlSeconds !== undefined && ttlSeconds > maxTtl) {
    throw new Error(`--ttl ${ttlText ?? ''} is longer than this configuration accepts (${maxTtl} s); raise tokens.maxTtl in the config`)
  }
  const roles = list(flag(args, 'roles'))
  const identityError = identityFlagError(sub, roles, flag(args, 'sid'))
  if (identityError !== undefined) throw new UsageError(identityError)
  const input = { sub, sid: flag(args, 'sid') ?? `cli-${randomUUID()}`, roles, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) }
  if (config.tokens.keyRing !== undefined) {
    out(await signWithKeyRing(config, input))
    return 0
  }
  const service = createAccessTokenService({
    algorithm: config.tokens.algorithm ?? configKeys(config)[0]?.algorithm ?? 'EdDSA',
    keys: configKeys(config),
    issuer: config.tokens.issuer,
    audience: config.tokens.audience,
    accessTtl,
    clockTolerance: config.tokenTimes.clockToleranceMs / 1000,
    maxTtl
  })
  const { token } = service.sign(input)
  out(token)
  return 0
}
