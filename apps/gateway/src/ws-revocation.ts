// Closes proxied WebSockets whose session is revoked (logout, logout-all, DELETE /auth/sessions/:id, refresh-token
// reuse): HTTP answers 401 within `revocationDelay` of a revocation, and a socket opened earlier must not go on
// relaying as that user until its token's `exp`. Sockets are tracked by session id; the plugin's revocation list
// tells every instance about each revoked id within the revocation delay (its poll, or its change stream), and
// each instance closes its own sockets of that session with 4401 `session revoked`.
//
// Sockets of trusted external issuers' tokens have no session (sid ''): they are tracked by their issuer-qualified
// subject key instead, and a subject revocation (their user's logout-all, `authgate user revoke-sessions --issuer`)
// closes exactly the sockets of that user at that issuer whose token was issued at or before it.
import type WebSocket from 'ws'
import { issuedBefore, subjectKey, type RevocationList } from '@authgate/fastify/tokens'
import { closeUnauthorised } from './ws-expiry.js'

export const WS_SESSION_REVOKED_REASON = 'session revoked'

/** The admission facts revocation needs (ws-expiry.ts Admission). */
export interface RevocableSocket { sid: string, iss: string, sub: string, iat: number }

export class WebSocketRevocations {
  private readonly bySession = new Map<string, Set<WebSocket>>()
  /** External sockets: subject key → socket → its token's iat (seconds). */
  private readonly bySubject = new Map<string, Map<WebSocket, number>>()
  private readonly unsubscribe: () => void

  constructor (private readonly revocations: RevocationList) {
    // A list without the subscription (a custom RevocationList) cannot end sockets: they end at expiry only.
    const sessions = revocations.onRevoked?.((sid) => { this.closeSession(sid) })
    const subjects = revocations.onSubjectRevoked?.((key, revokedAtMs) => { this.closeSubject(key, revokedAtMs) })
    this.unsubscribe = () => {
      sessions?.()
      subjects?.()
    }
  }

  /** A client socket admitted with these claims is now linked to its upstream. */
  track (admitted: RevocableSocket, socket: WebSocket): void {
    if (admitted.sid === '') {
      this.trackSubject(admitted, socket)
      return
    }
    const { sid } = admitted
    // Revoked between the upgrade's check and now: the listener has already run for this id.
    if (this.revocations.isRevoked(sid)) {
      closeUnauthorised(socket, WS_SESSION_REVOKED_REASON)
      return
    }
    let sockets = this.bySession.get(sid)
    if (sockets === undefined) this.bySession.set(sid, sockets = new Set())
    sockets.add(socket)
    socket.once('close', () => {
      sockets.delete(socket)
      if (sockets.size === 0 && this.bySession.get(sid) === sockets) this.bySession.delete(sid)
    })
  }

  /** Sockets currently tracked (for tests and metrics). */
  get size (): number {
    let count = 0
    for (const sockets of this.bySession.values()) count += sockets.size
    for (const sockets of this.bySubject.values()) count += sockets.size
    return count
  }

  stop (): void {
    this.unsubscribe()
  }

  private trackSubject (admitted: RevocableSocket, socket: WebSocket): void {
    if (this.revocations.isSubjectRevoked?.(admitted) === true) {
      closeUnauthorised(socket, WS_SESSION_REVOKED_REASON)
      return
    }
    const key = subjectKey(admitted.iss, admitted.sub)
    let sockets = this.bySubject.get(key)
    if (sockets === undefined) this.bySubject.set(key, sockets = new Map<WebSocket, number>())
    sockets.set(socket, admitted.iat)
    socket.once('close', () => {
      sockets.delete(socket)
      if (sockets.size === 0 && this.bySubject.get(key) === sockets) this.bySubject.delete(key)
    })
  }

  private closeSession (sid: string): void {
    const sockets = this.bySession.get(sid)
    if (sockets === undefined) return
    this.bySession.delete(sid)
    for (const socket of sockets) closeUnauthorised(socket, WS_SESSION_REVOKED_REASON)
  }

  private closeSubject (key: string, revokedAtMs: number): void {
    const sockets = this.bySubject.get(key)
    if (sockets === undefined) return
    // Only tokens issued at or before the revocation: a socket opened with the IdP's next token stays.
    for (const [socket, iat] of sockets) {
      if (!issuedBefore(iat, revokedAtMs)) continue
      sockets.delete(socket)
      closeUnauthorised(socket, WS_SESSION_REVOKED_REASON)
    }
    if (sockets.size === 0) this.bySubject.delete(key)
  }
}
