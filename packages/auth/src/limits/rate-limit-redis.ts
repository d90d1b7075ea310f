// The Redis connection that makes the rate limits and the account lockout shared by every instance
// (docs/design.md#failure-behaviour, "several instances"): with a store per process, N instances would allow N times
// the attempts.
//
// Fail-safe, never fail-open (docs/design.md#failure-behaviour: never a fallback that allows): a Redis that cannot
// answer within REDIS_CALL_BOUND_MS makes the limited routes answer 503 AUTH_STORE_UNAVAILABLE + Retry-After. A client
// built here from a URL fails fast by itself (no offline queue, one retry, 1 s timeouts); a client passed in may be
// configured otherwise, so every call is also bounded here, whatever the client's settings.
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Redis, RedisOptions } from 'ioredis'
import { AuthError } from '../errors.js'
import { settleWithin } from '../internal/deadline.js'
import { importOptionalPeer } from '../internal/optional-peer.js'

/** Longest a request waits for Redis before it is answered 503. */
export const REDIS_CALL_BOUND_MS = 1500
/** Retry-After (s) of the 503 answered while Redis is unreachable. */
export const REDIS_RETRY_AFTER_S = 5
const LOG_EVERY_MS = 30_000

/** Settings of a client the plugin creates from a URL: every failure surfaces within about a second. */
export const OWNED_CLIENT_OPTIONS: RedisOptions = {
  connectTimeout: 1000,
  commandTimeout: 1000,
  maxRetriesPerRequest: 1,
  // Queued commands would wait for a reconnection: a login would hang instead of answering 503.
  enableOfflineQueue: false,
  // Keep reconnecting in the background (at most every 2 s), so the limits come back with Redis.
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000)
}

export type ScriptCommand = (...args: Array<string | number>) => Promise<unknown>

export interface SharedRedis {
  readonly client: Redis
  /** Prefix of every key authgate writes (default `authgate:`). */
  readonly keyPrefix: string
  /** A Lua script as a command (EVALSHA, loaded on first use); bounded and mapped like `run`. */
  script: (name: string, numberOfKeys: number, lua: string) => ScriptCommand
  /** Runs `work` within REDIS_CALL_BOUND_MS; any failure becomes AuthError AUTH_STORE_UNAVAILABLE (503). */
  run: <T>(work: (client: Redis) => Promise<T>) => Promise<T>
  /** Disconnects a client created from a URL; a client passed in is left to its owner. */
  close: () => Promise<void>
}

interface Logger { warn: (object: object, message: string) => void }

export function isRedisClient (value: unknown): value is Redis {
  return typeof value === 'object' && value !== null &&
    typeof (value as { defineCommand?: unknown }).defineCommand === 'function' &&
    typeof (value as { evalsha?: unknown }).evalsha === 'function'
}

function unavailable (cause: unknown): AuthError {
  return cause instanceof AuthError ? cause : new AuthError('AUTH_STORE_UNAVAILABLE', { cause, retryAfter: REDIS_RETRY_AFTER_S })
}

function bounded<T> (work: Promise<T>): Promise<T> {
  return settleWithin(work, REDIS_CALL_BOUND_MS, () => new Error(`redis did not answer within ${REDIS_CALL_BOUND_MS} ms`))
}

/**
 * Resolves once a client still making its first connection is ready (or has failed). Without this, the first
 * requests after start-up would meet "stream not writeable" (no offline queue) and answer 503 for nothing. A client
 * that lost its connection is not waited for: it fails fast.
 */
function firstConnection (client: Redis): Promise<void> {
  if (!['wait', 'connecting', 'connect'].includes(client.status)) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      client.off('ready', done)
      client.off('close', done)
      resolve()
    }
    client.once('ready', done)
    client.once('close', done)
    if (client.status === 'wait') client.connect().catch(() => undefined)
  })
}

/** The ioredis client of a `rateLimit.redis` URL: ioredis is an optional peer, imported only here. */
async function clientFromUrl (url: string): Promise<Redis> {
  const { Redis } = await importOptionalPeer('ioredis', 'rateLimit.redis', () => import('ioredis'))
  return new Redis(url, OWNED_CLIENT_OPTIONS)
}

/** Rejects with MissingPeerError when `option` is a URL and ioredis is not installed (a client passed in needs none). */
export async function openSharedRedis (option: Redis | string, keyPrefix: string, logger: Logger): Promise<SharedRedis> {
  const owned = typeof option === 'string'
  const client = owned ? await clientFromUrl(option) : option
  if (owned) {
    // Without a listener ioredis prints every failed reconnection to the console; log them, at most every 30 s.
    // The message names the address, never the URL (which may hold a password).
    let lastLog = 0
    client.on('error', (error: Error) => {
      if (Date.now() - lastLog < LOG_EVERY_MS) return
      lastLog = Date.now()
      logger.warn({ event: 'rate_limit_store_unavailable', message: error.message }, 'authgate: Redis (rate limits) unreachable; limited routes answer 503')
    })
  }
  // One wait shared by every request arriving during the first connection (not one listener pair each).
  let connecting: Promise<void> | undefined
  const ready = (): Promise<void> => {
    connecting ??= firstConnection(client).finally(() => { connecting = undefined })
    return connecting
  }
  const run = async <T>(work: (client: Redis) => Promise<T>): Promise<T> => {
    try {
      return await bounded(ready().then(async () => work(client)))
    } catch (error) {
      throw unavailable(error)
    }
  }
  return {
    client,
    keyPrefix,
    run,
    script (name, numberOfKeys, lua) {
      const commands = client as unknown as Record<string, ScriptCommand | undefined>
      if (typeof commands[name] !== 'function') client.defineCommand(name, { numberOfKeys, lua })
      const command = commands[name] as ScriptCommand
      return async (...args) => run(async () => command.apply(client, args))
    },
    close () {
      if (owned) client.disconnect()
      return Promise.resolve()
    }
  }
}

// Fixed window per key, as @fastify/rate-limit's own Redis store; a key left without expiry (a failed PEXPIRE) is
// given one again, so no counter is ever permanent.
const INCR_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`
const READ_LUA = `
local current = redis.call('GET', KEYS[1])
if not current then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(current), ttl}
`

type Callback = (error: Error | null, result?: { current: number, ttl: number }) => void

/**
 * The `store` of @fastify/rate-limit on the shared Redis. Not the library's own `redis` store: that one reports a
 * Redis failure as a raw client error (a 500 here) or, with `skipOnError`, lets the request through unlimited;
 * this one answers 503 AUTH_STORE_UNAVAILABLE + Retry-After, bounded in time, under keys of our namespace.
 */
export function sharedRateLimitStore (shared: SharedRedis): FastifyRateLimitStoreCtor {
  const incr = shared.script('authgateRateLimitIncrV1', 1, INCR_LUA)
  const read = shared.script('authgateRateLimitReadV1', 1, READ_LUA)
  const answer = (work: Promise<unknown>, callback: Callback): void => {
    work.then((result) => {
      const [current, ttl] = result as [number, number]
      callback(null, { current, ttl })
    }, (error: unknown) => { callback(unavailable(error)) })
  }
  return class SharedRateLimitStore implements FastifyRateLimitStore {
    private readonly prefix: string
    // @fastify/rate-limit constructs the store with its options (unused here); child() passes a route's prefix.
    constructor (_options?: unknown, prefix = `${shared.keyPrefix}rl:`) {
      this.prefix = prefix
    }

    incr (key: string, callback: Callback, timeWindow: number): void {
      answer(incr(this.prefix + key, timeWindow), callback)
    }

    read (key: string, callback: Callback): void {
      answer(read(this.prefix + key), callback)
    }

    child (routeOptions: object): FastifyRateLimitStore {
      // Each limited route counts apart (login and refresh share no budget), as the library's stores do.
      const route = (routeOptions as { routeInfo?: { method?: string | string[], url?: string } }).routeInfo
      const method = Array.isArray(route?.method) ? route.method.join(',') : route?.method ?? ''
      return new SharedRateLimitStore(undefined, `${this.prefix}${method}${route?.url ?? ''}:`)
    }
  }
}
