// The per-account lockout of account-lockout.ts with its state in Redis, so every instance counts the same failures
// (docs/security.md D.53 across replicas). Same semantics: failures plus attempts in flight never exceed `max`; the
// lockout doubles (30 s, 1 min… capped at the window), never permanent; a quiet stretch of two windows forgives.
// Each operation is one Lua script, atomic in Redis, so two instances cannot both take the last attempt.
//
// Time is Redis's own clock (TIME) unless `now` is given (tests), so instances with drifting clocks still agree.
// Accounts are keyed by a SHA-256 of the normalised email: no addresses in Redis keys.
import { createHash, randomBytes } from 'node:crypto'
import type { SharedRedis } from './rate-limit-redis.js'
import type { AccountLockout, LockoutRule } from './account-lockout.js'
import { BASE_LOCKOUT_MS, LINK_TTL_MS, PENDING_RETRY_S } from './account-lockout.js'

/**
 * How long a reservation holds without its release: an instance that dies mid-verification must not block the
 * account for ever. Far longer than any verification (argon2 or a verifyCredentials call).
 */
const RESERVATION_LEASE_MS = 60_000

// KEYS[1] the account's state hash, KEYS[2] its reservations (sorted set: ticket → lease end).
// ARGV: operation, now ('' → Redis TIME), max, window ms, base lockout ms, lease ms, ticket.
const LOCKOUT_LUA = `
local stateKey, pendingKey = KEYS[1], KEYS[2]
local op = ARGV[1]
local now = tonumber(ARGV[2])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local max, window, base, lease = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local raw = redis.call('HMGET', stateKey, 'failures', 'windowStart', 'lockedUntil', 'lockouts', 'lastFailure')
local known = raw[2] ~= false
local e = { failures = tonumber(raw[1]) or 0, windowStart = tonumber(raw[2]) or now, lockedUntil = tonumber(raw[3]) or 0,
  lockouts = tonumber(raw[4]) or 0, lastFailure = tonumber(raw[5]) or now }

local function waitSeconds ()
  if e.lockedUntil > now then return math.ceil((e.lockedUntil - now) / 1000) end
  return 0
end
if op == 'peek' then return waitSeconds() end

-- Repeat offences double the lockout only while they keep coming; a quiet stretch forgives them.
if known and now - e.lastFailure > 2 * window and e.lockedUntil <= now then
  e = { failures = 0, windowStart = now, lockedUntil = 0, lockouts = 0, lastFailure = now }
end
if now - e.windowStart > window then
  e.failures = 0
  e.windowStart = now
end

local function save ()
  redis.call('HSET', stateKey, 'failures', e.failures, 'windowStart', e.windowStart, 'lockedUntil', e.lockedUntil,
    'lockouts', e.lockouts, 'lastFailure', e.lastFailure)
  -- Kept as long as it still matters: to the lockout's end or until a quiet stretch forgives it.
  local keep = math.max(e.lockedUntil, e.lastFailure + 2 * window) - now + 1000
  redis.call('PEXPIRE', stateKey, math.max(keep, 1000))
end

-- Counts COUNT failed attempts; reaching max starts a lockout that doubles with each repeat.
local function fail (count)
  e.failures = e.failures + count
  e.lastFailure = now
  if e.failures >= max then
    e.lockouts = e.lockouts + 1
    e.lockedUntil = now + math.min(window, base * 2 ^ math.min(e.lockouts - 1, 20))
    e.failures = 0
    e.windowStart = now
  end
end

if op == 'reserve' then
  local wait = waitSeconds()
  if wait > 0 then return wait end
  -- A lease that ran out was never ended by its instance (it died, or Redis failed it between the verification and
  -- the record): it counts as a failure, so a fault cannot hand out uncounted guesses.
  local expired = redis.call('ZCOUNT', pendingKey, '-inf', now)
  if expired > 0 then
    redis.call('ZREMRANGEBYSCORE', pendingKey, '-inf', now)
    fail(expired)
    save()
    wait = waitSeconds()
    if wait > 0 then return wait end
  end
  if e.failures + redis.call('ZCARD', pendingKey) >= max then return tonumber(ARGV[8]) end
  redis.call('ZADD', pendingKey, now + lease, ARGV[7])
  redis.call('PEXPIRE', pendingKey, lease)
  if known then save() end
  return 0
elseif op == 'failure' then
  if ARGV[7] ~= '' then redis.call('ZREM', pendingKey, ARGV[7]) end
  fail(1)
  save()
  return 0
elseif op == 'success' then
  if ARGV[7] ~= '' then redis.call('ZREM', pendingKey, ARGV[7]) end
  redis.call('DEL', stateKey)
  return 0
end
return redis.error_reply('unknown lockout operation')
`

export interface RedisLockoutOptions {
  /** Milliseconds since the epoch; default: Redis's clock. */
  now?: () => number
}

export function createRedisAccountLockout (shared: SharedRedis, rule: LockoutRule, options: RedisLockoutOptions = {}): AccountLockout {
  const script = shared.script('authgateLockoutV1', 2, LOCKOUT_LUA)
  // This instance's reservations per account: `release` frees one of its own, never another instance's.
  const tickets = new Map<string, string[]>()
  const digest = (account: string): string => createHash('sha256').update(account, 'utf8').digest('hex')
  // The link of an account to the user id its logins resolved to (login-lockout.ts): the id only, no address.
  const linkKey = (account: string): string => `${shared.keyPrefix}lockout-link:${digest(account)}`
  const keys = (account: string): [string, string] => {
    const id = digest(account)
    // One hash tag for both keys: a script's keys must live in one slot on Redis Cluster.
    return [`${shared.keyPrefix}lockout:{${id}}`, `${shared.keyPrefix}lockout:{${id}}:pending`]
  }
  const call = async (operation: string, account: string, ticket = ''): Promise<number> => {
    const [state, pending] = keys(account)
    const now = options.now === undefined ? '' : String(options.now())
    const result = await script(state, pending, operation, now, rule.max, rule.timeWindowMs, BASE_LOCKOUT_MS, RESERVATION_LEASE_MS, ticket, PENDING_RETRY_S)
    return Number(result)
  }

  /** One of this instance's reservations for `account`, now ended here ('' when it holds none). */
  const takeTicket = (account: string): string => {
    const held = tickets.get(account)
    const ticket = held?.pop() ?? ''
    if (held?.length === 0) tickets.delete(account)
    return ticket
  }

  return {
    retryAfter: async (account) => call('peek', account),
    async reserve (account) {
      const ticket = randomBytes(12).toString('base64url')
      const wait = await call('reserve', account, ticket)
      if (wait === 0) {
        const held = tickets.get(account)
        if (held === undefined) tickets.set(account, [ticket])
        else held.push(ticket)
      }
      return wait
    },
    async release (account) {
      const ticket = takeTicket(account)
      if (ticket === '') return
      // A failed release only keeps the slot taken until its lease ends: the safe direction, so not an error.
      await shared.run(async (client) => client.zrem(keys(account)[1], ticket)).catch(() => undefined)
    },
    async recordFailure (account) {
      // Rejects (503) when Redis cannot count it: the guess must not be answered as if it had been counted.
      await call('failure', account, takeTicket(account))
    },
    async recordSuccess (account) {
      // Forgiving earlier failures is a courtesy: if Redis cannot do it, they keep counting (the safe direction),
      // and the reservation holds its slot until its lease ends.
      await call('success', account, takeTicket(account)).catch(() => undefined)
    },
    async forgive (account) {
      // No ticket: the reservations (this instance's or another's) stay as they are.
      await call('success', account).catch(() => undefined)
    },
    async linkedUser (account) {
      return await shared.run(async (client) => client.get(linkKey(account))) ?? undefined
    },
    async link (account, userId) {
      await shared.run(async (client) => client.set(linkKey(account), userId, 'PX', LINK_TTL_MS)).catch(() => undefined)
    }
  }
}
