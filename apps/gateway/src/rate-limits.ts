// config.rateLimit → the plugin's `rateLimit` option. Only what the file sets is passed: the plugin's defaults stay
// the one place the defaults live.
import type { RateLimitInput, RateLimitRule } from '@authgate/fastify'
import type { GatewayConfig, RateLimitRuleConfig } from './config/types.js'

const rule = (value: RateLimitRuleConfig): RateLimitRule => ({ max: value.max, timeWindow: `${value.timeWindowMs}ms` })

export function rateLimitOptions (config: GatewayConfig['rateLimit']): RateLimitInput | false {
  if (config === false) return false
  const options: RateLimitInput = {}
  if (config.redis !== undefined) options.redis = config.redis
  if (config.keyPrefix !== undefined) options.keyPrefix = config.keyPrefix
  for (const name of ['login', 'refresh', 'register', 'accountFailures'] as const) {
    const value = config[name]
    if (value !== undefined) options[name] = rule(value)
  }
  return options
}
