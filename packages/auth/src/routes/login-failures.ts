// The `loginFailed` event: every refused password login, with its reason class (events.ts LoginFailureReason).
// The handler notes why it refused; refusals that never reach it (the per-IP limit, a body the schema refused) are
// classed by their status. Emitted from onResponse, after the answer is sent: never a delay for the client, and the
// refusal is already decided (the event cannot change it).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthgateEvents, LoginFailureReason } from '../events.js'
import { clientInfo } from '../sessions/client-info.js'

export interface LoginFailureNotes {
  /** Why the handler refused (called before it throws). */
  note: (request: FastifyRequest, reason: LoginFailureReason, userId?: string) => void
  /** onResponse hook of the login route. */
  onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => void
}

function byStatus (status: number): LoginFailureReason {
  if (status === 429) return 'rate-limited'
  if (status === 400 || status === 413 || status === 415) return 'invalid-request'
  if (status >= 500) return 'unavailable'
  return 'refused'
}

export function loginFailureNotes (events: AuthgateEvents): LoginFailureNotes {
  const notes = new WeakMap<FastifyRequest, { reason: LoginFailureReason, userId: string | null }>()
  return {
    note (request, reason, userId) {
      notes.set(request, { reason, userId: userId ?? null })
    },
    onResponse: function emitLoginFailed (request, reply, done) {
      if (reply.statusCode >= 400) {
        const noted = notes.get(request)
        // A store outage while checking answers 503 whatever the handler noted before it.
        const reason = noted === undefined || reply.statusCode >= 500 ? byStatus(reply.statusCode) : noted.reason
        const { ip, userAgent } = clientInfo(request)
        events.emit('loginFailed', { reason, userId: noted?.userId ?? null, ip, userAgent, at: new Date() })
      }
      done()
    }
  }
}
