// The gateway's logger: pino at `log.level`, credentials redacted wherever pino meets them, query values
// replaced in every logged URL, and request ids from request-id.ts bound to each line as `reqId`.
import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import type { GatewayConfig } from './config.js'
import { redactQuery } from './redact-query.js'

/** Never log credentials: headers that carry tokens or cookies are redacted wherever pino meets them. */
export const LOG_REDACT = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-authgate-assertion"]',
  'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie', 'headers["set-cookie"]'
]

/** Fastify's default request serializer, with the query redacted. */
function serializeRequest (request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactQuery(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket.remotePort
  }
}

/** Fastify's logger option for `config` (`stream`: where lines go instead of stdout). */
export function loggerOptions (config: GatewayConfig, stream?: { write: (line: string) => void }): FastifyServerOptions['logger'] {
  return {
    level: config.log.level,
    redact: { paths: LOG_REDACT, censor: '[redacted]' },
    serializers: { req: serializeRequest },
    ...(stream === undefined ? {} : { stream })
  }
}
