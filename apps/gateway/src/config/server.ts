// `server`: checked by the schema; here the values become what Node and Fastify take (milliseconds, a trustProxy
// form, a worker count).
import { availableParallelism } from 'node:os'
import { normaliseOrigin, parseDuration } from '@authgate/fastify'
import type { Reader } from './reader.js'
import type { GatewayConfig } from './types.js'

/** 1 KiB/s after 10 s: a phone on a bad link passes, a body trickled to hold a connection open does not. */
const DEFAULT_MIN_BODY_GRACE = '10s'
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

export interface ServerInput {
  host: string
  port: number
  trustProxy: boolean | number | string | string[]
  workers: number | string
  bodyLimit: number
  headersTimeout: string | number
  publicOrigin?: string
  maxUrlLength: number
  requestTimeout?: string | number
  minBodyRate: number | { bytesPerSecond?: number, grace?: string | number }
  idleTimeout: string | number
}

function trustProxyOf (trust: ServerInput['trustProxy']): GatewayConfig['server']['trustProxy'] {
  if (Array.isArray(trust)) return Object.freeze([...trust])
  // ${VAR} and AUTHGATE_SERVER_TRUST_PROXY arrive as text.
  if (trust === 'true' || trust === 'false') return trust === 'true'
  if (typeof trust === 'string' && /^\d+$/.test(trust)) return Number(trust)
  return trust
}

export function readServer (reader: Reader, server: ServerInput): GatewayConfig['server'] {
  let workers = 1
  // `auto`: one worker per core the process may use, as nginx's `worker_processes auto`.
  if (server.workers === 'auto') workers = Math.min(64, availableParallelism())
  else if (typeof server.workers === 'number' && server.workers >= 1 && server.workers <= 64) workers = server.workers
  else reader.fail('server.workers', 'must be a whole number from 1 to 64, or auto')
  const headersTimeoutMs = parseDuration(server.headersTimeout, 'server.headersTimeout')
  // Node refuses a request deadline shorter than the head deadline; by default the request one follows it up.
  const requestTimeoutMs = server.requestTimeout === undefined ? Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeoutMs) : parseDuration(server.requestTimeout, 'server.requestTimeout')
  if (requestTimeoutMs < headersTimeoutMs) reader.fail('server.requestTimeout', `must not be shorter than server.headersTimeout (${headersTimeoutMs / 1000} s)`)
  const rate = typeof server.minBodyRate === 'number' ? { bytesPerSecond: server.minBodyRate } : server.minBodyRate
  let publicOrigin: string | undefined
  try {
    publicOrigin = server.publicOrigin === undefined ? undefined : normaliseOrigin(server.publicOrigin, 'server.publicOrigin')
  } catch {
    reader.fail('server.publicOrigin', 'must be an origin (scheme://host[:port]), without a path')
  }
  return Object.freeze({
    host: server.host,
    port: server.port,
    trustProxy: trustProxyOf(server.trustProxy),
    workers,
    bodyLimit: server.bodyLimit,
    headersTimeoutMs,
    publicOrigin,
    maxUrlLength: server.maxUrlLength,
    requestTimeoutMs,
    minBodyRate: Object.freeze({ bytesPerSecond: rate.bytesPerSecond ?? 1024, graceMs: parseDuration(rate.grace ?? DEFAULT_MIN_BODY_GRACE, 'server.minBodyRate.grace') }),
    idleTimeoutMs: parseDuration(server.idleTimeout, 'server.idleTimeout')
  })
}
