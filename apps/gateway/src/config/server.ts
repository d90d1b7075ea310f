// `server`: checked by the schema; here the values become what Node and Fastify take (milliseconds, a trustProxy
// form, a worker count).
import { availableParallelism } from 'node:os'
import { normaliseOrigin } from '@authgate/fastify/config'
import { parseDuration } from '@authgate/fastify/config'
import { DEFAULT_MIN_BODY_GRACE, DEFAULT_REQUEST_TIMEOUT_MS, MAX_WORKERS, type ServerInput } from './schema.js'
import type { GatewayConfig, Report } from './types.js'

function trustProxyOf (trust: ServerInput['trustProxy']): GatewayConfig['server']['trustProxy'] {
  if (Array.isArray(trust)) return Object.freeze([...trust])
  // ${VAR} and AUTHGATE_SERVER_TRUST_PROXY arrive as text.
  if (trust === 'true' || trust === 'false') return trust === 'true'
  if (typeof trust === 'string' && /^\d+$/.test(trust)) return Number(trust)
  return trust
}

function workersOf (workers: ServerInput['workers'], report: Report): number {
  // `auto`: one worker per core the process may use, as nginx's `worker_processes auto`.
  if (workers === 'auto') return Math.min(MAX_WORKERS, availableParallelism())
  // `${VAR}` text: the schema leaves a string alone where it also takes one.
  const count = typeof workers === 'string' && /^\d+$/.test(workers) ? Number(workers) : workers
  if (typeof count === 'number' && count >= 1 && count <= MAX_WORKERS) return count
  report('server.workers', `must be a whole number from 1 to ${MAX_WORKERS}, or auto`)
  return 1
}

function opsOf (server: ServerInput, report: Report): GatewayConfig['server']['ops'] {
  const { ops } = server
  if (ops === undefined) return undefined
  // Both on one port would make one listen fail at start (or, with port reuse, mix the two): refused up front.
  if (ops.port !== 0 && ops.port === server.port) report('server.ops.port', `must differ from server.port (${server.port})`)
  return Object.freeze({ host: ops.host, port: ops.port })
}

export function readServer (server: ServerInput, report: Report): GatewayConfig['server'] {
  const headersTimeoutMs = parseDuration(server.headersTimeout, 'server.headersTimeout')
  // Node refuses a request deadline shorter than the head deadline; by default the request one follows it up.
  const requestTimeoutMs = server.requestTimeout === undefined ? Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeoutMs) : parseDuration(server.requestTimeout, 'server.requestTimeout')
  if (requestTimeoutMs < headersTimeoutMs) report('server.requestTimeout', `must not be shorter than server.headersTimeout (${headersTimeoutMs / 1000} s)`)
  const rate = typeof server.minBodyRate === 'number' ? { bytesPerSecond: server.minBodyRate, grace: DEFAULT_MIN_BODY_GRACE } : server.minBodyRate
  let publicOrigin: string | undefined
  try {
    publicOrigin = server.publicOrigin === undefined ? undefined : normaliseOrigin(server.publicOrigin, 'server.publicOrigin')
  } catch {
    report('server.publicOrigin', 'must be an origin (scheme://host[:port]), without a path')
  }
  return Object.freeze({
    host: server.host,
    port: server.port,
    trustProxy: trustProxyOf(server.trustProxy),
    workers: workersOf(server.workers, report),
    bodyLimit: server.bodyLimit,
    headersTimeoutMs,
    publicOrigin,
    maxUrlLength: server.maxUrlLength,
    requestTimeoutMs,
    minBodyRate: Object.freeze({ bytesPerSecond: rate.bytesPerSecond, graceMs: parseDuration(rate.grace, 'server.minBodyRate.grace') }),
    idleTimeoutMs: parseDuration(server.idleTimeout, 'server.idleTimeout'),
    ops: opsOf(server, report)
  })
}
