// The `loginFailed` event: every refused password login, with its reason class (events.ts LoginFailureReason).
// The handler notes why it refused; refusals that never reach it (the per-IP limit, a body the schema refused) are
// classed by their status. Decided in onSend, where the status is final: onResponse never fires for a client that
// closed its socket before the answer, and such a guess must be counted too. Emitted with setImmediate: never a
// delay for the answer, and a listener cannot change the refusal.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthgateEvents, LoginFailureReason } from '../../events.js'
import { clientInfo } from '../../sessions/client-info.js'

export interface LoginFailureNotes {
  /** Why the handler refused (called before it throws). */
  note: (request: FastifyRequest, reason: LoginFailureReason, userId?: string) => void
  /** onRequest hook of the login route: the client's address while its socket is still there. */
  onRequest: (request: FastifyRequest, reply: FastifyReply, done: () => void) => void
  /** onSend hook of the login route (the payload passes through untouched). */
  onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => void
}

function byStatus (status: number): LoginFailureReason {
  if (status === 429) return 'rate-limited'
  if (status === 400 || status === 413 || status === 415) return 'invalid-request'
  if (status >= 500) return 'unavailable'
  return 'refused'
}

export function loginFailureNotes (events: AuthgateEvents): LoginFailureNotes {
  const notes = new WeakMap<FastifyRequest, { reason: LoginFailureReason, userId: string | null }>()
  // Read at the start: once a client has closed its socket, request.ip (its remoteAddress) is gone.
  const clients = new WeakMap<FastifyRequest, { ip: string, userAgent: string }>()
  // One event per request, even if the error handler sends a second answer (a failed serialisation).
  const emitted = new WeakSet<FastifyRequest>()
  return {
    onRequest: function rememberLoginClient (request, _reply, done) {
      const { ip, userAgent } = clientInfo(request)
      clients.set(request, { ip, userAgent })
      done()
    },
    note (request, reason, userId) {
      notes.set(request, { reason, userId: userId ?? null })
    },
    onSend: function emitLoginFailed (request, reply, payload, done) {
      const status = reply.statusCode
      if (status >= 400 && !emitted.has(request)) {
        emitted.add(request)
        const noted = notes.get(request)
        notes.delete(request)
        // A store outage while checking answers 503 whatever the handler noted before it.
        const reason = noted === undefined || status >= 500 ? byStatus(status) : noted.reason
        // A refusal before the route's own onRequest (the per-IP limit) is answered at once: the socket is there.
        const { ip, userAgent } = clients.get(request) ?? clientInfo(request)
        const event = { reason, userId: noted?.userId ?? null, ip, userAgent, at: new Date() }
        setImmediate(() => { events.emit('loginFailed', event) })
      }
      done(null, payload)
    }
  }
}
