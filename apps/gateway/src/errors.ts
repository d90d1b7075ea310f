// The gateway's own HTTP answers (GATEWAY_* codes), in the same JSON shape as the plugin's AUTH_* errors:
// `{ statusCode, code, error, message }`. Bodies are generic on purpose: no upstream host, address or library
// message reaches a client (docs/security.md B.36); details go to the log.
import type { FastifyReply } from 'fastify'

export const GATEWAY_ERRORS = {
  GATEWAY_BAD_REQUEST: { statusCode: 400, error: 'Bad Request', message: 'The request target is not acceptable' },
  GATEWAY_UPGRADE_REFUSED: { statusCode: 400, error: 'Bad Request', message: 'Protocol upgrades are not accepted on this path' },
  GATEWAY_ORIGIN_REFUSED: { statusCode: 403, error: 'Forbidden', message: 'This origin may not call the gateway from a browser' },
  GATEWAY_NOT_FOUND: { statusCode: 404, error: 'Not Found', message: 'No route matches this path' },
  GATEWAY_REQUEST_TIMEOUT: { statusCode: 408, error: 'Request Timeout', message: 'The request was not received in time' },
  GATEWAY_PAYLOAD_TOO_LARGE: { statusCode: 413, error: 'Payload Too Large', message: 'The request body is too large' },
  GATEWAY_URI_TOO_LONG: { statusCode: 414, error: 'URI Too Long', message: 'The request target is too long' },
  GATEWAY_INTERNAL: { statusCode: 500, error: 'Internal Server Error', message: 'The gateway failed to answer' },
  GATEWAY_BAD_GATEWAY: { statusCode: 502, error: 'Bad Gateway', message: 'The upstream service is unavailable' },
  GATEWAY_BUSY: { statusCode: 503, error: 'Service Unavailable', message: 'Too many requests in progress on this route; retry later' },
  GATEWAY_TIMEOUT: { statusCode: 504, error: 'Gateway Timeout', message: 'The upstream service did not answer in time' }
} as const satisfies Record<string, { statusCode: number, error: string, message: string }>

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS

export interface GatewayErrorBody {
  statusCode: number
  code: GatewayErrorCode
  error: string
  message: string
}

/** Pre-built bodies: they never change, so no per-request object is built for an error answer. */
const BODIES = Object.fromEntries(Object.entries(GATEWAY_ERRORS).map(([code, entry]) => [code, JSON.stringify({ statusCode: entry.statusCode, code, error: entry.error, message: entry.message })])) as Record<GatewayErrorCode, string>

export function gatewayErrorBody (code: GatewayErrorCode): GatewayErrorBody {
  const entry = GATEWAY_ERRORS[code]
  return { statusCode: entry.statusCode, code, error: entry.error, message: entry.message }
}

export function sendGatewayError (reply: FastifyReply, code: GatewayErrorCode): FastifyReply {
  return reply.code(GATEWAY_ERRORS[code].statusCode).type('application/json; charset=utf-8').send(BODIES[code])
}

/**
 * A whole `Connection: close` answer as bytes, for the paths that write to the socket itself because no reply
 * object is at hand (Node's connection-level timeouts).
 */
export function rawGatewayError (code: GatewayErrorCode): string {
  const entry = GATEWAY_ERRORS[code]
  const body = BODIES[code]
  return `HTTP/1.1 ${entry.statusCode} ${entry.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
}
