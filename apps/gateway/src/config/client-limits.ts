// `server.requestTimeout`, `server.minBodyRate` and `server.idleTimeout`: how long a client may hold a connection
// (and through it an upstream connection) without making progress. Defaults are on: a slow client must not be able
// to take an upstream offline (issue #11).
import type { Plain, Reader } from './reader.js'
import type { GatewayConfig } from './types.js'

type ClientLimits = Pick<GatewayConfig['server'], 'requestTimeoutMs' | 'minBodyRate' | 'idleTimeoutMs'>

export const CLIENT_LIMIT_KEYS = ['requestTimeout', 'minBodyRate', 'idleTimeout'] as const
/** 1 KiB/s after 10 s: a phone on a bad link passes, a body trickled to hold a connection open does not. */
export const DEFAULT_MIN_BODY_RATE = 1024
export const DEFAULT_MIN_BODY_GRACE = '10s'

function readMinBodyRate (reader: Reader, value: unknown): ClientLimits['minBodyRate'] {
  const path = 'server.minBodyRate'
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const rate = reader.object(value, path, ['bytesPerSecond', 'grace'])
    return Object.freeze({
      bytesPerSecond: reader.integer(rate.bytesPerSecond, `${path}.bytesPerSecond`, DEFAULT_MIN_BODY_RATE, 0, 1_073_741_824),
      graceMs: reader.duration(rate.grace, `${path}.grace`, DEFAULT_MIN_BODY_GRACE, 0, 3_600_000)
    })
  }
  return Object.freeze({
    bytesPerSecond: reader.integer(value, path, DEFAULT_MIN_BODY_RATE, 0, 1_073_741_824),
    graceMs: reader.duration(undefined, path, DEFAULT_MIN_BODY_GRACE, 0, 3_600_000)
  })
}

/** Reads the three keys of `server`; `headersTimeoutMs` is the already validated `server.headersTimeout`. */
export function readClientLimits (reader: Reader, server: Plain, headersTimeoutMs: number): ClientLimits {
  // Node refuses a request deadline shorter than the head deadline; by default the request one follows it up.
  const requestTimeoutMs = reader.duration(server.requestTimeout, 'server.requestTimeout', `${Math.max(60_000, headersTimeoutMs)}ms`, 1000, 86_400_000)
  if (requestTimeoutMs < headersTimeoutMs) reader.fail('server.requestTimeout', `must not be shorter than server.headersTimeout (${headersTimeoutMs / 1000} s)`)
  return Object.freeze({
    requestTimeoutMs,
    minBodyRate: readMinBodyRate(reader, server.minBodyRate),
    idleTimeoutMs: reader.duration(server.idleTimeout, 'server.idleTimeout', '60s', 500, 3_600_000)
  })
}
