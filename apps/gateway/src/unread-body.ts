// A request the gateway answers without reading its body (401, 403, 503, a refused path...): Node would read and
// discard the whole body afterwards to keep the connection alive, however large, for a client that may not even be
// authenticated (issue #11, item 16). Beyond a small body the connection is closed instead.
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Largest announced body still read and discarded after a refusal, so that small clients keep their connection. */
export const DRAIN_LIMIT = 64 * 1024

/** Marks the answer `Connection: close` when the request announced a body over DRAIN_LIMIT, or one of unknown size. */
export function closeIfBodyUnread (request: FastifyRequest, reply: FastifyReply): void {
  const { headers } = request
  const length = headers['content-length']
  if (headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > DRAIN_LIMIT)) reply.header('connection', 'close')
}
