// Every error of the auth routes becomes the JSON of docs/design.md#http-contract, `{statusCode, code, error,
// message}`, with its headers (WWW-Authenticate on 401, Retry-After on 429/503). Library messages (Mongo, ajv) never
// reach a body.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { AuthError } from '../../errors.js'

/** The code each failed reply answered with, for the outcome metrics (a weak map: errors only, nothing kept). */
const answeredCodes = new WeakMap<FastifyReply, string>()

/** The AUTH_* code `reply` answered with, when it answered an error. */
export function answeredCode (reply: FastifyReply): string | undefined {
  return answeredCodes.get(reply)
}

const CLIENT_ERROR_TEXT: Record<number, string> = { 405: 'Method Not Allowed', 413: 'Payload Too Large', 415: 'Unsupported Media Type' }

export function installErrorHandler (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AuthError, request, reply) => {
    if (error instanceof AuthError) {
      answeredCodes.set(reply, error.code)
      if (error.statusCode >= 500) request.log.warn({ code: error.code, err: error.cause ?? error }, 'authgate: service unavailable')
      return reply.code(error.statusCode).headers(error.headers()).send(error.toJSON())
    }
    if (error.validation !== undefined) {
      answeredCodes.set(reply, 'AUTH_BAD_REQUEST')
      const bad = new AuthError('AUTH_BAD_REQUEST')
      return reply.code(400).send(bad.toJSON())
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500
    if (status >= 400 && status < 500) {
      const text = CLIENT_ERROR_TEXT[status] ?? 'Bad Request'
      return reply.code(status).send({ statusCode: status, code: 'AUTH_BAD_REQUEST', error: text, message: new AuthError('AUTH_BAD_REQUEST').message })
    }
    request.log.error({ err: error }, 'authgate: unexpected error')
    return reply.code(500).send({ statusCode: 500, code: 'AUTH_INTERNAL', error: 'Internal Server Error', message: 'Internal Server Error' })
  })
}
