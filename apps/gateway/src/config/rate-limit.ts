// `rateLimit:` of the gateway configuration: the plugin's limits, and the Redis that shares them between instances
// (and between `server.workers`). `rateLimit: false` turns every limit off (benchmarks, or a limiter in front).
import { Reader } from './reader.js'
import type { RateLimitConfig, RateLimitRuleConfig } from './types.js'

const RATE_LIMIT_KEYS = ['redis', 'keyPrefix', 'login', 'refresh', 'register', 'accountFailures'] as const
const RULES = [['login', '1m'], ['refresh', '1m'], ['register', '1m'], ['accountFailures', '15m']] as const

function readRule (reader: Reader, value: unknown, path: string, defaultWindow: string): RateLimitRuleConfig | undefined {
  if (value === undefined || value === null) return undefined
  const rule = reader.object(value, path, ['max', 'timeWindow'])
  if (rule.max === undefined || rule.max === null) reader.fail(`${path}.max`, 'is required')
  return Object.freeze({
    max: reader.integer(rule.max, `${path}.max`, 1, 1, 1_000_000),
    timeWindowMs: reader.duration(rule.timeWindow, `${path}.timeWindow`, defaultWindow, 1000, 86_400_000)
  })
}

export function readRateLimit (reader: Reader, value: unknown): RateLimitConfig | false {
  // ${VAR} substitutions arrive as strings.
  if (value === false || value === 'false') return false
  const limits = reader.object(value, 'rateLimit', RATE_LIMIT_KEYS)
  const redis = reader.optionalString(limits.redis, 'rateLimit.redis')
  if (redis !== undefined) {
    let url: URL | undefined
    try { url = new URL(redis) } catch { url = undefined }
    // The URL itself is not echoed: it may hold the Redis password.
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) reader.fail('rateLimit.redis', 'must be a redis:// or rediss:// URL')
  }
  const keyPrefix = reader.optionalString(limits.keyPrefix, 'rateLimit.keyPrefix')
  if (keyPrefix !== undefined && keyPrefix.length > 100) reader.fail('rateLimit.keyPrefix', 'must be at most 100 characters')
  const rules = Object.fromEntries(RULES.map(([name, window]) => [name, readRule(reader, limits[name], `rateLimit.${name}`, window)]))
  return Object.freeze({
    redis,
    keyPrefix,
    login: rules.login,
    refresh: rules.refresh,
    register: rules.register,
    accountFailures: rules.accountFailures
  })
}
