// A plain Fastify app with the @authgate/fastify plugin (in-memory store, the target's key), for configuration
// cases that concern applications embedding the plugin rather than the gateway. Its answer to one anonymous
// request is the outcome, or STARTUP_REFUSED with the start-up error as the body when the app never started.
import Fastify from 'fastify'
import authgate, { type AuthgateOptions } from '@authgate/fastify'
import { type KeyInput } from '@authgate/fastify/tokens'
import { STARTUP_REFUSED, type Outcome } from './case.js'
import type { Teardown } from './target.js'

export interface PluginRoute {
  url: string
  /** The route's `config`, as an application might write it (untyped on purpose: that is the attack). */
  config?: Record<string, unknown>
}

export async function pluginAppOutcome (t: Teardown, key: KeyInput, routes: readonly PluginRoute[], options: Partial<AuthgateOptions> = {}): Promise<Outcome> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  try {
    await app.register(authgate, { store: { memory: true }, tokens: { keys: [key], issuer: 'authgate-security', audience: 'upstream' }, ...options })
    await app.register(async (child) => {
      for (const route of routes) child.get(route.url, { config: route.config ?? {} }, async () => ({ reached: route.url }))
    })
    await app.ready()
  } catch (error) {
    return { status: STARTUP_REFUSED, code: undefined, headers: {}, body: error instanceof Error ? error.message : String(error) }
  }
  const last = routes.at(-1)?.url ?? '/'
  const response = await app.inject({ url: last })
  let code: string | undefined
  try { code = (response.json<{ code?: string }>()).code } catch { /* not JSON */ }
  return { status: response.statusCode, code, headers: response.headers as Outcome['headers'], body: response.body }
}

/** Throws unless the start-up error names every one of `parts` (the route, the key). */
export function namesAll (outcome: Outcome, parts: readonly string[]): void {
  const missing = parts.filter((part) => !outcome.body.includes(part))
  if (missing.length > 0) throw new Error(`the start-up error does not name ${missing.join(', ')}: ${outcome.body}`)
}
