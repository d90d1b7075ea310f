// The normalised rate limits: a budget per endpoint family, kept per process or in Redis.
import type { Redis } from 'ioredis'

export interface NormalisedRule { max: number, timeWindowMs: number }

export interface NormalisedRateLimit {
  login: NormalisedRule
  refresh: NormalisedRule
  register: NormalisedRule
  recovery: NormalisedRule
  recoveryAccount: NormalisedRule
  accountFailures: NormalisedRule
  /** undefined: per-process limits. */
  redis: Redis | string | undefined
  keyPrefix: string
}
