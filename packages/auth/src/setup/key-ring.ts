// The plugin's access-token service: a static key set (tokens.keys / keysDir), or the key ring (tokens.keyRing).
import type { FastifyBaseLogger } from 'fastify'
import type { NormalisedOptions } from '../options/normalise.js'
import { hasKeyRingStore, type KeyRingStore } from '../keys/key-ring-store.js'
import type { SessionStore } from '../stores/store.js'
import { createKeyRingTokens, type KeyRingTokens } from '../keys/key-ring-service.js'
import { createAccessTokenService } from '../tokens/service.js'
import type { AccessTokenService } from '../tokens/types.js'

/** JWKS max-age of a static key set: it only changes with a restart. */
export const STATIC_JWKS_MAX_AGE = 300

export interface PluginTokens {
  tokens: AccessTokenService
  ring: KeyRingTokens | undefined
  /** Seconds, for the JWKS's Cache-Control. */
  jwksMaxAge: number
}

export function createPluginTokens (options: NormalisedOptions, store: SessionStore, logger: FastifyBaseLogger): PluginTokens {
  const config = options.keyRing
  if (config === undefined) return { tokens: createAccessTokenService(options.tokens), ring: undefined, jwksMaxAge: STATIC_JWKS_MAX_AGE }
  let ringStore: KeyRingStore
  if (config.store !== 'database') ringStore = config.store
  else if (hasKeyRingStore(store)) ringStore = store.keyRingStore()
  else throw new Error('tokens.keyRing.store \'database\' needs the MongoDB (or in-memory) session store; give a KeyRingStore for another store')
  const { keys: _keys, signingKid: _signingKid, ...tokens } = options.tokens
  const ring = createKeyRingTokens({ tokens, store: ringStore, kek: config.kek, refreshMs: config.refreshMs, logger })
  return { tokens: ring.tokens, ring, jwksMaxAge: ring.jwksMaxAge }
}
