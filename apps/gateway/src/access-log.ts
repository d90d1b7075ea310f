// Access logs operators can use: one line per answered request, with what a search needs and no credential: the
// route pattern (bounded: never a raw path as a field to group by), the status, the time taken, the user and
// session ids once verified (never a token), and the request id pino binds to every line of the request (`reqId`).
// Written by Fastify's own log controller in place of its "incoming request" / "request completed" pair, so a
// request that completes costs no extra hook; a client that leaves first (499) and a WebSocket upgrade, which
// never complete in Fastify's sense, are written by onRequestAbort and the proxy's upgrade path.
import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { GatewayConfig } from './config.js'
import { redactQuery } from './redact-query.js'

/** Levels at which an `info` line is written: below them the line would be built for nothing. */
const WRITES_INFO: ReadonlySet<string> = new Set(['trace', 'debug', 'info'])

/** Whether `config` asks for access lines and its level lets them through. */
export function accessLogOn (config: GatewayConfig): boolean {
  return config.log.access && WRITES_INFO.has(config.log.level)
}

/** The access line of `request` (`durationMs` undefined: not known, as for a client gone before its answer). */
export function writeAccessLine (request: FastifyRequest, status: number, durationMs: number | undefined, extra?: Record<string, unknown>): void {
  const user = request.user
  request.log.info({
    event: 'access',
    method: request.method,
    url: redactQuery(request.url),
    route: request.routeOptions.url ?? '(none)',
    status,
    durationMs: durationMs === undefined ? undefined : Math.round(durationMs * 10) / 10,
    userId: user?.sub,
    sessionId: user?.sid,
    ...extra
  }, 'request')
}

/** Requests already written as aborted: Fastify may still report them as completed (with an error) afterwards. */
const aborted = new WeakSet<FastifyRequest>()

class AccessLogController extends LogController {
  constructor (private readonly access: boolean) {
    super({ disableRequestLogging: false })
  }

  override incomingRequest (): void { /* the access line says it all, once the answer is known */ }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: Parameters<LogController['requestCompleted']>[2]): void {
    if (aborted.has(request)) return
    if (this.access) writeAccessLine(request, reply.statusCode, reply.elapsedTime, error == null ? undefined : { err: error })
    else if (error != null) reply.log.error({ err: error }, 'request errored')
  }
}

/** Fastify's `logController` option for `config`. */
export function accessLogController (config: GatewayConfig): LogController {
  return new AccessLogController(accessLogOn(config))
}

/** A client gone before its answer (nginx's 499): written here, as Fastify never reports the request completed. */
export function registerAbortedLine (app: FastifyInstance, config: GatewayConfig): void {
  if (!accessLogOn(config)) return
  app.addHook('onRequestAbort', (request, done) => {
    aborted.add(request)
    writeAccessLine(request, 499, undefined, { aborted: true })
    done()
  })
}
