// The plugin's options from the gateway's configuration: what app.ts registers, what startup-checks.ts checks, and
// what parseConfig asks the plugin's cross-key rules about (config/parse.ts). One mapping, so the three agree.
import type { AuthgateOptions, SessionStore } from '@authgate/fastify'
import type { GatewayConfig } from './config/types.js'
import { trustsProxy } from './trust-proxy.js'

/** The auth prefix the gateway fixes: routes know what to stay clear of. */
export const AUTH_PREFIX = '/auth'

/** The parts of the configuration the plugin reads. */
export type PluginParts = Pick<GatewayConfig, 'store' | 'tokens' | 'cookie' | 'auth' | 'rateLimit' | 'users' | 'notifications' | 'mail' | 'audit' | 'oidc' | 'admin'> & {
  server: Pick<GatewayConfig['server'], 'publicOrigin' | 'trustProxy'>
}

/**
 * The plugin's options: the file's plugin sections as they are (no unit conversions), the auth prefix the gateway
 * fixes, and the public origin of `server`.
 */
export function pluginOptions (config: PluginParts, store?: SessionStore): AuthgateOptions {
  const chosenStore = store ?? config.store
  return {
    ...(chosenStore === undefined ? {} : { store: chosenStore }),
    tokens: { ...config.tokens },
    cookie: { ...config.cookie },
    auth: {
      ...config.auth,
      prefix: AUTH_PREFIX,
      // Behind a trusted proxy the Host is not the browser's: only configured origins count (issue #11 item 15).
      publicOrigin: config.server.publicOrigin ?? (trustsProxy(config.server.trustProxy) ? false : undefined)
    },
    // Shared through Redis when `rateLimit.redis` is set: N instances (or workers) then allow the attempts of one.
    rateLimit: config.rateLimit,
    users: config.users,
    notifications: config.notifications,
    ...(config.mail === undefined ? {} : { mail: config.mail }),
    audit: config.audit,
    admin: { roles: [...config.admin.roles], ...(config.admin.grantableRoles === undefined ? {} : { grantableRoles: [...config.admin.grantableRoles] }) },
    ...(config.oidc === undefined ? {} : { oidc: config.oidc })
  }
}
