// Whether the gateway believes forwarding headers from some peer: one answer for Fastify's trustProxy option, the
// CSRF origin (publicOrigin), and the configuration warnings.
import type { GatewayConfig } from './config.js'

/** 0 hops, false and an empty address list trust nobody. */
export function trustsProxy (value: GatewayConfig['server']['trustProxy']): boolean {
  if (typeof value === 'object') return value.length > 0
  return value !== false && value !== 0
}
