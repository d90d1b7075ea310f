// `rateLimit`: per-IP limits of login, refresh and register, the per-account lockout, and the Redis that shares them.
// Windows are durations (duration.ts): a bare number is milliseconds, as @fastify/rate-limit reads it.
import { Type, type TSchema } from '@sinclair/typebox'
import type { Duration } from '../config/duration.js'
import { DurationKey, OrCode, Strict, type Form } from '../config/kinds.js'

export const TIME_WINDOW_RANGE = { min: 1000, max: 86_400_000 }
export const RATE_LIMIT_DEFAULTS: Readonly<Record<'login' | 'refresh' | 'register' | 'accountFailures' | 'recovery' | 'recoveryAccount', { max: number, timeWindow: Duration }>> = {
  login: { max: 30, timeWindow: '1m' },
  refresh: { max: 300, timeWindow: '1m' },
  register: { max: 10, timeWindow: '1m' },
  accountFailures: { max: 5, timeWindow: '15m' },
  recovery: { max: 20, timeWindow: '15m' },
  recoveryAccount: { max: 5, timeWindow: '15m' }
}

function rule (name: keyof typeof RATE_LIMIT_DEFAULTS, description: string): TSchema {
  const fallback = RATE_LIMIT_DEFAULTS[name]
  return Type.Object({
    max: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Attempts allowed per window.' }),
    timeWindow: DurationKey(TIME_WINDOW_RANGE, 'Window length (a bare number is milliseconds).', fallback.timeWindow)
  }, { ...Strict, default: { ...fallback }, description: `${description} Default ${fallback.max} per ${String(fallback.timeWindow)}.` })
}

export function rateLimitSection (form: Form): TSchema {
  const limits = Type.Object({
    login: rule('login', 'Login attempts per client IP.'),
    refresh: rule('refresh', 'Refresh calls per client IP.'),
    register: rule('register', 'Registrations per client IP.'),
    accountFailures: rule('accountFailures', 'Failed logins per account before it is locked (from every IP), with a lockout that doubles on each repeat up to timeWindow.'),
    recovery: rule('recovery', 'Calls per client IP of each password-reset, password-change and email-verification endpoint.'),
    recoveryAccount: rule('recoveryAccount', 'Calls per account (the email asked for, or the signed-in user) of each of those endpoints, from every IP.'),
    redis: Type.Optional(OrCode(form, Type.String({ pattern: '^rediss?://', description: 'A redis:// or rediss:// URL shared by every instance; without it each process counts on its own (N instances allow N times the attempts). While Redis cannot answer, login, refresh and register answer 503.' }),
      'object', 'an ioredis client', 'must be a redis:// or rediss:// URL, or an ioredis client')),
    keyPrefix: Type.String({ minLength: 1, maxLength: 100, default: 'authgate:', description: 'Prefix of the Redis keys (several deployments on one Redis).' })
  }, { ...Strict, description: 'Rate limits.' })
  // Not an anyOf: ajv fills no defaults inside one, and every limit's default lives in this object.
  return Type.Unsafe<unknown>({ ...limits, type: ['object', 'boolean'], 'x-false-only': true, description: 'Rate limits; false turns every limit off (only when something in front limits instead).' })
}
