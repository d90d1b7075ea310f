// The app `authgate start` would serve, built without serving it: `config check` and `doctor` run the start path
// itself (buildApp calls checkStartable first, then registers the plugin and every route), so no check on that path
// can be missing from them. `authgate openapi` documents the same app.
import { MemorySessionStore } from '@authgate/fastify'
import { normaliseOptions } from '@authgate/fastify/config'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.js'
import type { GatewayConfig } from '../config.js'
import { pluginOptions } from '../plugin-options.js'

/** What a caller adds to the offline app: hooks before any route (`prepare`), a look at the ready app (`ready`). */
export interface OfflineUse<T> {
  prepare?: (app: FastifyInstance) => Promise<void>
  ready?: (app: FastifyInstance) => T | Promise<T>
}

/**
 * `config` without what reaches the network when the app is readied: Redis is not dialled, and trusted issuers
 * (whose JWKS the plugin fetches on ready) are left out; they add no route. The database is left to the caller's
 * in-memory store; OIDC providers are only dialled at the first sign-in.
 */
export function offlineConfig (config: GatewayConfig): GatewayConfig {
  const rateLimit = config.rateLimit === false ? false : { ...config.rateLimit, redis: undefined }
  // No collector either: a check must not send spans, nor wait for an exporter at close.
  return { ...config, rateLimit, tracing: undefined, tokens: { ...config.tokens, trustedIssuers: [] } }
}

/**
 * Builds, readies and closes the app `start` would serve from `config` (buildApp runs checkStartable first, then
 * registers the plugin and every route): any check on that path refuses the file here too. Without touching the
 * network: an in-memory store stands in for the database, no span is exported (offlineConfig for the rest).
 * Answers what `use.ready` made of the ready app.
 */
export async function buildOffline<T = undefined> (config: GatewayConfig, use: OfflineUse<T> = {}): Promise<T | undefined> {
  const store = new MemorySessionStore()
  try {
    const app = await buildApp(offlineConfig(config), { logger: false, store, ...(use.prepare === undefined ? {} : { prepare: use.prepare }) })
    try {
      // The trusted issuers left out above still meet the plugin's option checks (doctor parses without them): what
      // registering the plugin with them would throw, after every check before it, without fetching their keys.
      if ((config.tokens.trustedIssuers ?? []).length > 0) normaliseOptions(pluginOptions(config, store))
      await app.ready()
      return await use.ready?.(app)
    } finally {
      await app.close()
    }
  } finally {
    // A store passed in is not the app's to close.
    await store.close()
  }
}
