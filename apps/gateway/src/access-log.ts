// Access logs operators can use: one line per answered request (Fastify's own pair of "incoming request" /
// "request completed" lines is turned off in app.ts), with what a search needs and no credential: the route
// pattern (bounded: never a raw path as a field to group by), the status, the time taken, the user and session ids
// once verified (never a token), and the request id pino binds to every line of the request as `reqId`.
import type { FastifyInstance } from 'fastify'
import { redactQuery } from './logging.js'

export function registerAccessLog (app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    const user = request.user
    request.log.info({
      event: 'access',
      method: request.method,
      url: redactQuery(request.url),
      route: request.routeOptions.url ?? '(none)',
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      userId: user?.sub,
      sessionId: user?.sid
    }, 'request')
    done()
  })
}
