// Closes proxied WebSockets whose session is revoked (logout, logout-all, DELETE /auth/sessions/:id, refresh-token
// reuse): HTTP answers 401 within `revocationDelay` of a revocation, and a socket opened earlier must not go on
// relaying as that user until its token's `exp`. Sockets are tracked by session id; the plugin's revocation list
// tells every instance about each revoked id within the revocation delay (its poll, or its change stream), and
// each instance closes its own sockets of that session with 4401 `session revoked`.
import type WebSocket from 'ws'
import type { RevocationList } from '@authgate/fastify'
import { closeUnauthorised } from './ws-expiry.js'

export const WS_SESSION_REVOKED_REASON = 'session revoked'

export class WebSocketRevocations {
  private readonly bySession = new Map<string, Set<WebSocket>>()
  private readonly unsubscribe: () => void

  constructor (private readonly revocations: RevocationList) {
    // A list without the subscription (a custom RevocationList) cannot end sockets: they end at expiry only.
    this.unsubscribe = revocations.onRevoked?.((sid) => { this.closeSession(sid) }) ?? (() => {})
  }

  /** A client socket of session `sid` is now linked to its upstream. */
  track (sid: string, socket: WebSocket): void {
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
    return count
  }

  stop (): void {
    this.unsubscribe()
  }

  private closeSession (sid: string): void {
    const sockets = this.bySession.get(sid)
    if (sockets === undefined) return
    this.bySession.delete(sid)
    for (const socket of sockets) closeUnauthorised(socket, WS_SESSION_REVOKED_REASON)
  }
}
