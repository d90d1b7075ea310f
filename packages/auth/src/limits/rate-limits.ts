// The rate-limit state the auth routes use: the per-account lockout, and for @fastify/rate-limit a shared store when
// `rateLimit.redis` is set (every instance counts together); else both live in this process.
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { NormalisedRateLimit } from './types.js'
import { openSharedRedis, sharedRateLimitStore } from './rate-limit-redis.js'
import { createAccountLockout, type AccountLockout } from './account-lockout.js'
import { createRedisAccountLockout } from './account-lockout-redis.js'

export interface RateLimitState {
  lockout: AccountLockout
  /** The @fastify/rate-limit `store` option; undefined: its default in-memory store. */
  store: FastifyRateLimitStoreCtor | undefined
  /** Closes the Redis client the plugin created from a URL (a client passed in stays open). */
  close: () => Promise<void>
}

/** Rejects with MissingPeerError when `rateLimit.redis` is a URL and ioredis is not installed. */
export async function createRateLimitState (limits: NormalisedRateLimit, logger: { warn: (object: object, message: string) => void }): Promise<RateLimitState> {
  if (limits.redis === undefined) {
    return { lockout: createAccountLockout(limits.accountFailures), store: undefined, close: async () => {} }
  }
  const shared = await openSharedRedis(limits.redis, limits.keyPrefix, logger)
  return {
    lockout: createRedisAccountLockout(shared, limits.accountFailures),
    store: sharedRateLimitStore(shared),
    close: shared.close
  }
}
