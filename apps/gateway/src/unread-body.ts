// A request the gateway answers without reading its body (401, 403, 503, a refused path...): Node would read and
// discard the whole body afterwards to keep the connection alive, however large, for a client that may not even be
// authenticated (issue #11, item 16). Beyond a small body the connection is closed instead.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Largest announced body still read and discarded after a refusal, so that small clients keep their connection. */
export const DRAIN_LIMIT = 64 * 1024

/** The body a request announced, in bytes: Infinity when its size is unknown (chunked), 0 without one. */
export function announcedBodyLength (headers: IncomingHttpHeaders): number {
  if (headers['transfer-encoding'] !== undefined) return Infinity
  const length = headers['content-length']
  // Node has already refused a Content-Length that is not a number.
  return length === undefined ? 0 : Number(length)
}

/** A body over DRAIN_LIMIT, or one of unknown size (chunked). */
function announcesLargeBody (headers: IncomingHttpHeaders): boolean {
  return announcedBodyLength(headers) > DRAIN_LIMIT
}

/** Where the gateway refuses a request itself: the answer says `Connection: close` when the unread body is large. */
export function closeIfBodyUnread (request: FastifyRequest, reply: FastifyReply): void {
  if (announcesLargeBody(request.headers)) reply.header('connection', 'close')
}

/**
 * The same rule for every other answer (the plugin's 401 on `/auth/logout-all`, a 413, an upstream answering before
 * it read the whole upload), run when the answer to a request that announced a body has finished. Node has by then
 * decided to keep the connection and started discarding the rest of the body; a large rest closes it instead.
 * `socket` is the request's connection as it arrived: a failed upstream exchange detaches the request from it.
 */
export function dropUnreadBody (request: IncomingMessage, socket: Socket): void {
  if (!request.complete && announcesLargeBody(request.headers)) socket.destroy()
}
