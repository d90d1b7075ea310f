// The request id that ties a request's log lines, its upstream's logs and a user's support ticket together:
// `X-Request-Id` from a peer `server.trustProxy` trusts (a proxy in front already named the request), else a fresh
// UUID. Any other client's id is ignored: it would let a stranger forge or collide with the ids an operator
// searches by. Loopback is not trusted by default (as it is for forward-auth's X-Original-URI, which nginx always
// sets itself): nginx passes a client's X-Request-Id through unless told otherwise. It goes upstream (headers.ts)
// and back in the response (app.ts).
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { PeerTrust } from './peer-trust.js'

export const REQUEST_ID_HEADER = 'x-request-id'
/** What a forwarded id may hold: enough for UUIDs, ULIDs and the usual proxy formats, nothing a log line could misread. */
const FORWARDED_ID = /^[A-Za-z0-9._~:/+=@-]{1,128}$/

export function createRequestIdGenerator (trusted: PeerTrust): (request: IncomingMessage) => string {
  return (request) => {
    // A repeated header arrives joined with ", ": not an id, so a fresh one.
    const given = request.headers[REQUEST_ID_HEADER]
    if (typeof given === 'string' && FORWARDED_ID.test(given) && trusted(request.socket.remoteAddress)) return given
    return randomUUID()
  }
}
