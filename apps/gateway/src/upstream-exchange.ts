// One proxied request's exchange with its upstream, as an undici dispatch handler (issue #18, "a lean hop").
// undici's `request()` API wraps every response in a body `Readable` (an AsyncResource besides) that Fastify then
// pipes into the ServerResponse: a pipe, two end-of-stream watchers, listeners added and removed, nextTicks, for a
// body that is usually one small chunk. This handler calls back with `{ statusCode, headers, body }` (the forwarder,
// upstream-forward.ts, or reply-from for the requests http-proxy's handler keeps), but:
// - a small answer of known length (content-length ≤ BUFFERED_BODY_LIMIT, with a content-type, not HEAD, 204 or
//   304) is collected and handed over once complete (a BufferedBody: proxy-routes.ts sends its Buffer, which
//   Fastify writes with its head in one go);
// - a 204 or 304 is handed over at once with an empty, ended body;
// - anything else streams as before, through a plain Readable with undici's backpressure (onData → push).
// Cancellation no longer needs a signal and listener per request: the route gate's 'close' listener calls
// `cancel()` on the exchange kept on the raw request (proxy-routes.ts).
// What changes for a buffered answer: an upstream that fails mid-body is now answered 502/504 (the head had not
// gone out yet) instead of a truncated 200.
// The exchange is an AsyncResource, as undici's own request handler: undici calls it back from the pooled socket's
// async context (the request that opened the connection), so the callback, and the Fastify hooks it runs,
// are called in the scope of the request that dispatched it (AsyncLocalStorage values stay per request). Its cost,
// measured on this machine at load 10: ≈ 0.1–0.3 µs per request in a micro-benchmark, not measurable end to end
// (docs/profiling.md).
import { AsyncResource } from 'node:async_hooks'
import { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { errors, util, type Dispatcher } from 'undici'

/** Larger bodies, or bodies of unknown length, are streamed. A few socket reads' worth: memory per request stays small. */
export const BUFFERED_BODY_LIMIT = 16_384

/**
 * A small answer, complete. It is handed on as the answer's `stream`, whose `destroy()` is called when the client
 * aborted before the answer arrived: there is nothing left to release then (the exchange is over), hence a no-op.
 * `headersAt` (performance.now()) is when its head arrived: the upstream latency is time to headers for every answer.
 */
export class BufferedBody {
  constructor (readonly bytes: Buffer, readonly headersAt: number) {}

  destroy (): void {}
}

export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[]>
  body: Readable | BufferedBody
}

export type ExchangeCallback = (error: Error | null, response?: UpstreamResponse) => void

function bufferable (method: string, statusCode: number, headers: Record<string, string | string[]>): boolean {
  if (method === 'HEAD' || statusCode === 204 || statusCode === 304) return false
  const length = headers['content-length']
  // Without a content-type Fastify would add application/octet-stream to a Buffer: such answers stream.
  if (typeof length !== 'string' || typeof headers['content-type'] !== 'string') return false
  const bytes = Number(length)
  return Number.isInteger(bytes) && bytes >= 0 && bytes <= BUFFERED_BODY_LIMIT
}

/** The streamed body: pulls from undici when read, and aborts the upstream when destroyed before its end. */
class UpstreamBody extends Readable {
  constructor (private readonly resumeUpstream: () => void, private readonly abortUpstream: (reason: Error) => void) {
    super()
  }

  override _read (): void {
    this.resumeUpstream()
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.readableEnded) this.abortUpstream(error ?? new errors.RequestAbortedError())
    callback(error)
  }
}

function ignore (): void {}

export class UpstreamExchange extends AsyncResource implements Dispatcher.DispatchHandler {
  private abort: ((reason: Error) => void) | null = null
  private reason: Error | null = null
  private stream: UpstreamBody | null = null
  private chunks: Buffer[] | null = null
  private size = 0
  private statusCode = 0
  private headersAt = 0
  private headers: Record<string, string | string[]> = {}

  constructor (
    private readonly method: string,
    private callback: ExchangeCallback | null,
    private requestBody: unknown
  ) {
    super('authgate.UpstreamExchange')
  }

  /** The callback, in the dispatching request's async scope (see the top of this file). */
  private answer (callback: ExchangeCallback, error: Error | null, response?: UpstreamResponse): void {
    this.runInAsyncScope(callback, null, error, response)
  }

  /** The client left: stop the upstream request (before its answer, or while its body is still coming). */
  cancel (): void {
    if (this.reason !== null) return
    this.reason = new errors.RequestAbortedError()
    if (this.stream !== null) this.stream.destroy(this.reason)
    else if (this.abort !== null) this.abort(this.reason)
  }

  onConnect (abort: (reason?: Error) => void): void {
    if (this.reason !== null) {
      abort(this.reason)
      return
    }
    this.abort = abort
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx: informational (a 100 Continue after the body was sent); the real answer follows.
    if (statusCode < 200) return true
    // undici's own parsing, as its request() does: lower-cased names, latin1 values, repeats as arrays, `__proto__`
    // and other inherited names as plain own properties.
    const headers = util.parseHeaders(rawHeaders)
    if (bufferable(this.method, statusCode, headers)) {
      this.statusCode = statusCode
      this.headersAt = performance.now()
      this.headers = headers
      this.chunks = []
      return true
    }
    const callback = this.callback
    this.callback = null
    const abort = this.abort ?? ignore
    const stream = new UpstreamBody(resume, abort)
    if (statusCode === 204 || statusCode === 304) {
      // No body by definition, whatever its content-length says (a 304's describes the representation): ended at
      // once and detached. undici then fails the exchange when the length does not match
      // (ResponseContentLengthMismatchError), after the answer went out: with no callback or stream left, nothing.
      stream.push(null)
    } else {
      this.stream = stream
    }
    if (callback !== null) this.answer(callback, null, { statusCode, headers, body: stream })
    return true
  }

  onData (chunk: Buffer): boolean {
    if (this.chunks !== null) {
      this.size += chunk.length
      // undici holds the body to its content-length; this bound does not rest on that alone.
      if (this.size > BUFFERED_BODY_LIMIT) {
        this.chunks = null
        this.abort?.(new errors.ResponseExceededMaxSizeError())
        return false
      }
      this.chunks.push(chunk)
      return true
    }
    return this.stream?.push(chunk) ?? false
  }

  onComplete (): void {
    if (this.chunks !== null) {
      const body = this.chunks.length === 1 ? this.chunks[0] as Buffer : Buffer.concat(this.chunks, this.size)
      this.chunks = null
      const callback = this.callback
      this.callback = null
      if (callback !== null) this.answer(callback, null, { statusCode: this.statusCode, headers: this.headers, body: new BufferedBody(body, this.headersAt) })
      return
    }
    this.stream?.push(null)
  }

  onError (error: Error): void {
    this.chunks = null
    const callback = this.callback
    if (callback !== null) {
      this.callback = null
      // As undici's request(): never called back synchronously from inside dispatch.
      queueMicrotask(() => { this.answer(callback, error) })
    }
    const stream = this.stream
    if (stream !== null) {
      this.stream = null
      queueMicrotask(() => { stream.on('error', ignore).destroy(error) })
    }
    // As undici's request() (util.destroy): a request body still being read is destroyed with the exchange; the
    // client's own request is detached from its socket first, so that its connection stays up for the 502.
    const body = this.requestBody
    if (body instanceof Readable && !body.destroyed) {
      this.requestBody = null
      body.on('error', ignore)
      if ((Object.getPrototypeOf(body) as { constructor: unknown }).constructor === IncomingMessage) (body as unknown as { socket: unknown }).socket = null
      body.destroy(error)
    }
  }
}
