// Connection-level bounds on slow clients (issue #11): a request must arrive whole within server.requestTimeout
// (Node's own deadline, answered here in the gateway's JSON), its body must keep up server.minBodyRate once the
// gateway is reading it, a client behind on its response must take it at that rate too, and a client that stops
// taking the response is dropped after server.idleTimeout. Each ends
// with the connection closed, which aborts the upstream request (proxy-routes.ts) and frees its pool slot.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import type { GatewayConfig } from './config.js'
import { rawGatewayError } from './errors.js'
import { announcedBodyLength, dropUnreadBody } from './unread-body.js'

const REQUEST_TIMEOUT = rawGatewayError('GATEWAY_REQUEST_TIMEOUT')
/** How often bodies in progress are measured against the minimum rate. */
const BODY_SWEEP_MS = 1000

/** The answer in progress on a connection: Node's own bookkeeping (`socket._httpMessage`), which its 408 reads too. */
function responseOn (socket: Socket): ServerResponse | null | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
}

/** 408 unless the answer in progress has already begun (its bytes would be corrupted), then the connection closes. */
export function timeOutConnection (socket: Socket): void {
  if (socket.destroyed) return
  const response = responseOn(socket)
  if (socket.writable && (response === null || response === undefined || !response.headersSent)) socket.write(REQUEST_TIMEOUT)
  socket.destroy()
}

/** Node's 'clientError' for requestTimeout/headersTimeout, answered before Fastify's own (non-JSON-contract) handler. */
function onClientError (error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') timeOutConnection(socket)
}

/**
 * server.idleTimeout fired (no byte went either way for that long). A connection between requests, or one whose
 * answer is stuck because the client stopped reading, is dropped. One still waiting for the upstream's answer or
 * receiving its request body is left to the route timeout, requestTimeout and minBodyRate.
 */
function onIdle (socket: Socket): void {
  const response = responseOn(socket)
  if (response !== null && response !== undefined && socket.writableLength === 0 && !response.writableNeedDrain) return
  socket.destroy()
}

interface BodyProgress {
  /**
   * The request's connection, kept here: a failed upstream exchange detaches a request from its socket
   * (`request.socket` is then null, upstream-exchange.ts) so that destroying the body leaves the connection up.
   */
  readonly socket: Socket
  /** socket.bytesRead when the request arrived (its head, and what came before it on a keep-alive connection). */
  readonly startBytes: number
  lastCheck: number
  /** Time the gateway was reading this body; time it was not (no upstream connection yet, upstream slow) is excused. */
  readingMs: number
}

interface ReadProgress {
  /** The answer being measured: a new answer on the connection starts a new measure. */
  response: ServerResponse | null | undefined
  /** socket.bytesWritten at the last sweep. */
  lastBytes: number
  /** Whether the client was behind (the socket's buffer full) at the last sweep. */
  behind: boolean
  /** Time between two sweeps that both found the client behind, and the bytes it took meanwhile. */
  behindMs: number
  behindBytes: number
}

/** Whether `received` bytes over `ms` of measured time fall short of the rate, after the grace period. */
function tooSlow (received: number, ms: number, bytesPerSecond: number, graceMs: number): boolean {
  return ms > graceMs && received * 1000 < bytesPerSecond * (ms - graceMs)
}

/**
 * Minimum transfer rate both ways, Apache mod_reqtimeout style: after `graceMs` of measured time, a request body must
 * have delivered at least `bytesPerSecond` × (time − grace) while the gateway was reading it, and a client that keeps
 * the gateway waiting on a response (the socket's buffer full) must take it at that rate too: a client reading one
 * chunk now and then would never trip server.idleTimeout, yet hold its upstream connection for a whole download.
 * One shared sweep per second over the bodies in progress and the open connections; no timer or listener per request.
 */
export class BodyRateGuard {
  private readonly bodies = new Map<IncomingMessage, BodyProgress>()
  private readonly connections = new Map<Socket, ReadProgress>()
  private sweep: NodeJS.Timeout | undefined

  constructor (private readonly bytesPerSecond: number, private readonly graceMs: number, private readonly log: FastifyBaseLogger) {}

  /** Starts measuring a request that announced a body, on its connection `socket`. */
  track (request: IncomingMessage, socket: Socket): void {
    this.bodies.set(request, { socket, startBytes: socket.bytesRead, lastCheck: Date.now(), readingMs: 0 })
    this.start()
  }

  /** Starts measuring how fast the client of a new connection takes its answers (dropped from the map once closed). */
  readonly watch = (socket: Socket): void => {
    this.connections.set(socket, { response: undefined, lastBytes: socket.bytesWritten, behind: false, behindMs: 0, behindBytes: 0 })
    this.start()
  }

  private start (): void {
    if (this.sweep === undefined) {
      this.sweep = setInterval(this.check, BODY_SWEEP_MS)
      this.sweep.unref()
    }
  }

  readonly check = (): void => {
    const now = Date.now()
    this.checkBodies(now)
    this.checkReaders()
    if (this.bodies.size === 0 && this.connections.size === 0) this.stop()
  }

  private checkBodies (now: number): void {
    for (const [request, progress] of this.bodies) {
      if (request.complete || request.destroyed || progress.socket.destroyed) {
        this.bodies.delete(request)
        continue
      }
      const elapsed = now - progress.lastCheck
      progress.lastCheck = now
      // Reading: flowing with room in its buffer. Paused or not yet consumed is the gateway's (or upstream's) doing.
      if (request.readableFlowing !== true || request.readableLength >= request.readableHighWaterMark) continue
      progress.readingMs += elapsed
      const received = progress.socket.bytesRead - progress.startBytes
      if (tooSlow(received, progress.readingMs, this.bytesPerSecond, this.graceMs)) {
        this.bodies.delete(request)
        this.log.info({ received, readingMs: progress.readingMs, url: request.url === undefined ? undefined : request.url.split('?')[0] }, 'request body slower than server.minBodyRate: 408, connection closed')
        timeOutConnection(progress.socket)
      }
    }
  }

  private checkReaders (): void {
    for (const [socket, progress] of this.connections) {
      if (socket.destroyed) {
        this.connections.delete(socket)
        continue
      }
      const response = responseOn(socket)
      const written = socket.bytesWritten
      const behind = socket.writableNeedDrain
      if (response !== progress.response) {
        progress.response = response
        progress.behindMs = 0
        progress.behindBytes = 0
      } else if (behind && progress.behind) {
        // Behind at both ends of the interval: the client, not the upstream, set the pace meanwhile.
        progress.behindMs += BODY_SWEEP_MS
        progress.behindBytes += written - progress.lastBytes
      }
      progress.lastBytes = written
      progress.behind = behind
      if (tooSlow(progress.behindBytes, progress.behindMs, this.bytesPerSecond, this.graceMs)) {
        this.connections.delete(socket)
        this.log.info({ taken: progress.behindBytes, behindMs: progress.behindMs }, 'client reading its answer slower than server.minBodyRate: connection closed')
        // The answer has begun: nothing more can be written on it. Closing aborts the upstream request (proxy-routes.ts).
        socket.destroy()
      }
    }
  }

  stop (): void {
    clearInterval(this.sweep)
    this.sweep = undefined
  }
}

/**
 * Installs the three bounds on `server` (Fastify created it with requestTimeout and the idle timeout set), and the
 * unread-body rule for every answer. One 'request' listener, which does nothing more for a request without a body.
 */
export function guardSlowClients (server: Server, limits: GatewayConfig['server'], log: FastifyBaseLogger): { close: () => void } {
  server.prependListener('clientError', onClientError)
  // A 'timeout' listener replaces Node's default (destroy on any idle socket) with onIdle's finer rule.
  server.on('timeout', onIdle)
  const { bytesPerSecond, graceMs } = limits.minBodyRate
  const guard = bytesPerSecond === 0 ? undefined : new BodyRateGuard(bytesPerSecond, graceMs, log)
  if (guard !== undefined) server.on('connection', guard.watch)
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (announcedBodyLength(request.headers) === 0) return
    // Taken now: a failed upstream exchange may detach the request from its socket before the answer finishes.
    const socket = request.socket
    response.on('finish', () => { dropUnreadBody(request, socket) })
    guard?.track(request, socket)
  })
  return { close: () => { guard?.stop() } }
}
