// The app `authgate start` would serve, built without serving it: `config check` and `doctor` run the start path
// itself (buildApp calls checkStartable first, then registers the plugin and every route), so no check on that path
// can be missing from them.
import { MemorySessionStore } from '@authgate/fastify'
import { buildApp } from '../app.js'
import type { GatewayConfig } from '../config.js'

/**
 * Builds, readies and closes the app `start` would serve from `config` (buildApp runs checkStartable first, then
 * registers the plugin and every route): any check on that path refuses the file here too. Without touching the
 * network: an in-memory store stands in for the database, Redis is not dialled (both are only reached at run time) and no span is
 * exported.
 */
export async function buildOffline (config: GatewayConfig): Promise<void> {
  // No collector either: a check must not send spans, nor wait for an exporter at close.
  const offline: GatewayConfig = { ...config, tracing: undefined, rateLimit: config.rateLimit === false ? false : { ...config.rateLimit, redis: undefined } }
  const store = new MemorySessionStore()
  try {
    const app = await buildApp(offline, { logger: false, store })
    try {
      await app.ready()
    } finally {
      await app.close()
    }
  } finally {
    // A store passed in is not the app's to close.
    await store.close()
  }
}

