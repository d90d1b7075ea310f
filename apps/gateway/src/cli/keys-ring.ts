// `authgate keys rotate | retire | list --config FILE`: the operator's side of the signing-key ring kept in the
// database (tokens.keyStore: database). Every gateway instance picks a change up within tokens.keyRefresh.
import { createKeyRingTokens, parseKeyEncryptionKey, hasKeyRingStore, keyRingMinNextAgeMs, keyRingWindowMs, listKeyRing, retireKeys, rotateKeyRing, type KeyEncryptionKey, type KeyInfo, type KeyRingStore } from '@authgate/fastify/key-ring'
import { keyRotationEntry, type KeyRingChange } from '@authgate/fastify/admin'
import { createStore } from '@authgate/fastify/stores'
import { isAuthError } from '@authgate/fastify'
import { type SignInput } from '@authgate/fastify/tokens'
import { loadConfig, type GatewayConfig } from '../config.js'
import { flag, out, parseSubcommand, printHelp, requiredFlag, type GroupSpec } from './args.js'
import { operatorName, writeAuditRows } from './audit-row.js'

const KEYS_USAGE = `Usage: authgate keys rotate|retire|list --config FILE [options]

Manages the signing keys kept in the database (tokens.keyStore: database; private keys encrypted under
tokens.keyEncryptionKey). Instances read the ring every tokens.keyRefresh, without a restart.

  rotate [--force]   empty ring: create the current key and the next one. Otherwise: next becomes current,
                     current becomes retired, a new next is published. Refused while the next key is younger
                     than two tokens.keyRefresh intervals (an instance or JWKS cache may not know it yet),
                     unless --force (then an instance that has not polled yet answers its tokens 401).
  retire [--kid K]   drop retired keys whose verification window (longest token lifetime + clock tolerance +
                     tokens.keyRefresh) is over. With --kid, drop key K now (not the current one), e.g. a
                     compromised key: its tokens get 401 AUTH_TOKEN_INVALID and clients refresh.
  list               kid, algorithm, state and dates of each key (never private material).

Options:
  --config FILE   gateway configuration (store.mongodb, tokens.*)
  --kid K         retire: the key to drop
  --force         rotate: promote the next key even if it is young
  -h, --help      this text`

const CONFIG_OPTION = { config: { type: 'string' } } as const

export const KEYS: GroupSpec = {
  name: 'keys',
  usage: KEYS_USAGE,
  commands: {
    rotate: { name: 'keys rotate', usage: KEYS_USAGE, options: { ...CONFIG_OPTION, force: { type: 'boolean' } } },
    retire: { name: 'keys retire', usage: KEYS_USAGE, options: { ...CONFIG_OPTION, kid: { type: 'string' } } },
    list: { name: 'keys list', usage: KEYS_USAGE, options: CONFIG_OPTION }
  }
}

interface Context {
  config: GatewayConfig
  store: KeyRingStore
  /** Writes the change's audit row (best effort: the change is made whatever the trail says). */
  audit: (change: Omit<KeyRingChange, 'actor' | 'operator' | 'at'>) => Promise<void>
  refreshMs: number
  windowMs: number
}

function ringTimes (config: GatewayConfig): { refreshMs: number, windowMs: number } {
  const times = config.tokenTimes
  const windowMs = keyRingWindowMs({
    accessTtl: times.accessTtlMs / 1000,
    maxTtl: times.maxTtlMs / 1000,
    clockTolerance: times.clockToleranceMs / 1000
  }, times.keyRefreshMs)
  return { refreshMs: times.keyRefreshMs, windowMs }
}

const iso = (date: Date | null | undefined): string => date === null || date === undefined ? '-' : date.toISOString()

function describe (keys: KeyInfo[]): string {
  const rows = [['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATED', 'RETIRED', 'VERIFIES UNTIL']]
  for (const key of keys) rows.push([key.kid, key.alg, key.state, iso(key.createdAt), iso(key.activatedAt), iso(key.retiredAt), iso(key.verifiesUntil)])
  const widths = rows[0]?.map((_cell, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n')
}

async function rotate (context: Context, force: boolean): Promise<void> {
  const { config, store, refreshMs } = context
  const plan = await rotateKeyRing(store, {
    algorithm: config.tokens.algorithm ?? 'EdDSA',
    kek: ringKek(config),
    minNextAgeMs: keyRingMinNextAgeMs(refreshMs),
    force
  })
  const generation = plan.record.generation
  await context.audit({ action: plan.action, generation, force, ...(plan.current === undefined ? {} : { current: plan.current }), next: plan.next, ...(plan.retired === undefined ? {} : { retired: plan.retired }) })
  if (plan.action === 'created') out(`key ring created (generation ${generation}): current ${plan.current ?? ''}, next ${plan.next}`)
  else if (plan.action === 'next-created') out(`the ring had no next key: published next ${plan.next} (generation ${generation}); run \`authgate keys rotate\` again in ${Math.ceil(keyRingMinNextAgeMs(refreshMs) / 1000)} s or later to promote it`)
  else out(`rotated (generation ${generation}): current ${plan.current ?? ''}, next ${plan.next}, retired ${plan.retired ?? ''}; instances switch within ${refreshMs / 1000} s`)
}

async function retire (context: Context, kid: string | undefined): Promise<void> {
  const result = await retireKeys(context.store, { windowMs: context.windowMs, ...(kid === undefined ? {} : { kid }) })
  if (result.dropped.length > 0) await context.audit({ action: 'retired', generation: result.generation ?? 0, dropped: result.dropped })
  out(result.dropped.length === 0
    ? 'nothing to retire: no retired key is past its verification window'
    : `dropped ${result.dropped.join(', ')} (generation ${result.generation ?? 0}); instances stop accepting them within ${context.refreshMs / 1000} s`)
}

async function list (context: Context): Promise<void> {
  const ring = await listKeyRing(context.store, context.windowMs)
  if (ring.generation === undefined) {
    out('the key ring is empty: run `authgate keys rotate --config FILE` to create it')
    return
  }
  out(`key ring generation ${ring.generation}\n${describe(ring.keys)}`)
}

export async function keysCommand (argv: readonly string[]): Promise<number> {
  const args = parseSubcommand(argv, KEYS)
  if (args.help !== undefined) return printHelp(args.help)
  const verb = args.sub
  const file = requiredFlag(args, 'config')
  const config = loadConfig(file)
  if (config.tokens.keyRing === undefined || config.store === undefined) {
    throw new Error(`${file}: tokens.keyRing is not set (this configuration reads its keys from a directory: use \`authgate keygen\`)`)
  }
  // The file's whole store section (collections, timeouts), as the gateway builds it: the rows land where it reads them.
  const sessionStore = createStore(config.store)
  if (!hasKeyRingStore(sessionStore)) throw new Error('the configured store cannot hold a key ring')
  try {
    const context: Context = { config, store: sessionStore.keyRingStore(), audit: (change) => writeAuditRows(sessionStore, config.audit, [keyRotationEntry({ ...change, actor: 'cli', operator: operatorName(), at: new Date() })], 'the key ring changed'), ...ringTimes(config) }
    if (verb === 'rotate') await rotate(context, args.flags.has('force'))
    else if (verb === 'retire') await retire(context, flag(args, 'kid'))
    else await list(context)
    return 0
  } catch (error) {
    if (isAuthError(error)) throw new Error(`the database cannot be reached (${error.code})`)
    throw error
  } finally {
    await sessionStore.close()
  }
}

/** The key ring's key-encryption key, as the plugin reads it. */
function ringKek (config: GatewayConfig): KeyEncryptionKey {
  return parseKeyEncryptionKey(config.tokens.keyRing?.keyEncryptionKey, 'tokens.keyRing.keyEncryptionKey')
}

/** `authgate token` with tokens.keyRing: signs with the ring's current key (read once). */
export async function signWithKeyRing (config: GatewayConfig, input: SignInput): Promise<string> {
  if (config.store === undefined) throw new Error('tokens.keyRing needs store.mongodb')
  const sessionStore = createStore(config.store)
  if (!hasKeyRingStore(sessionStore)) throw new Error('the configured store cannot hold a key ring')
  const { tokens, tokenTimes: times } = config
  let failure: unknown
  const ring = createKeyRingTokens({
    tokens: {
      algorithm: tokens.algorithm ?? 'EdDSA',
      issuer: tokens.issuer,
      audience: tokens.audience,
      accessTtl: times.accessTtlMs / 1000,
      clockTolerance: times.clockToleranceMs / 1000,
      maxTtl: times.maxTtlMs / 1000
    },
    store: sessionStore.keyRingStore(),
    kek: ringKek(config),
    refreshMs: times.keyRefreshMs,
    // A read or decryption failure must be reported, not swallowed into a 503 token service.
    logger: { info: () => undefined, warn: (object) => { failure = object.err }, error: (object) => { failure = object.err } }
  })
  try {
    await ring.refresh()
    if (failure !== undefined) throw new Error(`cannot read the key ring: ${(failure as Error).message}`)
    if (ring.generation === undefined) throw new Error('the key ring is empty: run `authgate keys rotate --config FILE` first')
    return ring.tokens.sign(input).token
  } finally {
    await sessionStore.close()
  }
}
