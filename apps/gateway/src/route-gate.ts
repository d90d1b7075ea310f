// Per-route admission (issue #11): at most `maxConcurrent` upstream requests of one route in flight, as many more
// waiting in order, and beyond that 503 with Retry-After. A waiting request counts against the route's
// `timeout` (504 when it runs out while waiting); what is left of it is undici's headersTimeout. Undici restarts
// that timer once the request body is sent, so a client's upload is not counted: requestTimeout and minBodyRate
// bound it (slow-clients.ts).
// Waiting requests of a route all have the same budget, so they expire in arrival order: one timer per route, none
// per request.
import { AsyncResource } from 'node:async_hooks'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { sendGatewayError } from './errors.js'
import { closeIfBodyUnread } from './unread-body.js'
import { continueIfExpected } from './expect-continue.js'

/** Seconds a client is asked to wait after a 503 from a full route. */
const BUSY_RETRY_AFTER = '1'
/** Where on the raw request the end of its budget is kept, for the dispatcher (proxy-routes.ts). */
const DEADLINE = Symbol('authgate.upstreamDeadline')

interface Waiting {
  readonly reply: FastifyReply
  readonly done: HookHandlerDoneFunction
  readonly deadline: number
}

/**
 * The client went away before its answer was fully written: the response closed unfinished, or its socket closed
 * (before the response was attached to it, the response itself never learns). A slot taken for such a request
 * might never be given back.
 */
function clientGone (response: ServerResponse): boolean {
  return !response.writableFinished && (response.destroyed || response.req.socket.destroyed)
}

/** Milliseconds left of the request's budget (at least 1: undici reads 0 as "no timeout"), or undefined. */
export function budgetLeft (request: IncomingMessage): number | undefined {
  const deadline = (request as IncomingMessage & { [DEADLINE]?: number })[DEADLINE]
  return deadline === undefined ? undefined : Math.max(1, deadline - Date.now())
}

export class RouteGate {
  private taken = 0
  private readonly waiting: Waiting[] = []
  private head = 0
  private timer: NodeJS.Timeout | undefined
  private closing = false
  /** One listener for every admitted response of this route: runs `onClose` (abort upstream), then frees the slot. */
  private readonly release: (this: ServerResponse) => void

  constructor (readonly limit: number, readonly timeoutMs: number, onClose: (this: ServerResponse) => void) {
    const leave = (): void => { this.leave() }
    this.release = function (this: ServerResponse) {
      try {
        onClose.call(this)
      } finally {
        leave()
      }
    }
  }

  /** Requests holding a slot now. */
  get active (): number {
    return this.taken
  }

  /** Requests waiting now. */
  get queued (): number {
    return this.waiting.length - this.head
  }

  /** A preHandler: admits, queues or refuses the request. */
  enter (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (reply.raw.socket === null) {
      // Pipelined behind an answer still in progress on its connection: until Node attaches this response to the
      // socket it would never emit 'close' if the client left, and a slot taken now would never be given back. It
      // enters when its turn on the connection comes (its budget starts then); a client gone before never does.
      reply.raw.once('socket', () => { this.enter(request, reply, done) })
      return
    }
    const deadline = Date.now() + this.timeoutMs
    if (clientGone(reply.raw)) {
      // Nothing to hold a slot for: the proxy sees the aborted client and never connects upstream.
      done()
      return
    }
    if (this.taken < this.limit) {
      this.admit(reply, deadline)
      done()
      return
    }
    if (this.queued >= this.limit) this.forgetDeparted()
    if (this.closing || this.queued >= this.limit) {
      this.refuse(reply)
      return
    }
    // Bound to this request's async scope: its turn comes from another request's 'close', and the rest of its
    // hooks (and AsyncLocalStorage values they read) must not run in that one's.
    this.waiting.push({ reply, done: AsyncResource.bind(done), deadline })
    if (this.timer === undefined) this.arm()
  }

  private admit (reply: FastifyReply, deadline: number): void {
    this.taken++
    const response = reply.raw;
    (response.req as IncomingMessage & { [DEADLINE]?: number })[DEADLINE] = deadline
    response.on('close', this.release)
    // The request may send its body now (and only now: not before authentication, nor while it waits).
    continueIfExpected(response)
  }

  private leave (): void {
    this.taken--
    while (this.queued > 0 && this.taken < this.limit) {
      const next = this.shift()
      // A client that left while waiting takes no slot.
      if (clientGone(next.reply.raw)) continue
      this.admit(next.reply, next.deadline)
      next.done()
    }
  }

  /** Drops the waiting clients that left (they are otherwise skipped only when their turn comes). */
  private forgetDeparted (): void {
    const staying = this.waiting.slice(this.head).filter((entry) => !clientGone(entry.reply.raw))
    this.waiting.length = 0
    this.waiting.push(...staying)
    this.head = 0
  }

  private shift (): Waiting {
    const next = this.waiting[this.head++] as Waiting
    if (this.head === this.waiting.length) {
      this.waiting.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head)
      this.head = 0
    }
    return next
  }

  /** Times out the waiting requests whose budget is spent, then waits for the next one's. */
  private readonly expire = (): void => {
    this.timer = undefined
    const now = Date.now()
    while (this.queued > 0 && (this.waiting[this.head] as Waiting).deadline <= now) {
      const { reply } = this.shift()
      if (clientGone(reply.raw)) continue
      closeIfBodyUnread(reply.request, reply)
      sendGatewayError(reply, 'GATEWAY_TIMEOUT')
    }
    if (this.queued > 0) this.arm()
  }

  private arm (): void {
    const first = this.waiting[this.head] as Waiting
    this.timer = setTimeout(this.expire, Math.max(1, first.deadline - Date.now()))
  }

  /** The gateway is closing: requests still waiting get 503 now (as new ones do), not their timeout later. */
  close (): void {
    this.closing = true
    clearTimeout(this.timer)
    this.timer = undefined
    while (this.queued > 0) this.refuse(this.shift().reply)
  }

  private refuse (reply: FastifyReply): void {
    if (clientGone(reply.raw)) return
    closeIfBodyUnread(reply.request, reply)
    reply.header('retry-after', BUSY_RETRY_AFTER)
    sendGatewayError(reply, 'GATEWAY_BUSY')
  }
}
