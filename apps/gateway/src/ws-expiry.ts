// Closes a proxied WebSocket with 4401 when the access token that opened it expires, or when its session is revoked
// (ws-revocation.ts): a connection must not outlive the credentials it was admitted with. The auth hook notes the
// token's `exp` and `sid` against the upgrade's TCP socket; when the proxy links the client WebSocket (whose
// `_socket` is that same TCP socket, a long-stable ws internal) to the upstream, a timer is armed and the socket is
// tracked by session. The client is expected to reconnect with a fresh token.
import type { Socket } from 'node:net'
import WebSocket from 'ws'
import type { RevocationList } from '@authgate/fastify/tokens'
import type { RouteAuth } from './config.js'
import { WebSocketRevocations } from './ws-revocation.js'

export const WS_TOKEN_EXPIRED = 4401
/** A socket on an `auth: required` route the auth hook never admitted: a bug, never relayed. */
const WS_INTERNAL_ERROR = 1011
/** A peer that does not answer the close frame is cut off after this: nothing more is relayed for it meanwhile. */
const CLOSE_GRACE_MS = 1000

/** Closes `socket` with 4401 `reason`, and terminates it if the close handshake has not ended within a second. */
export function closeUnauthorised (socket: WebSocket, reason: string): void {
  socket.close(WS_TOKEN_EXPIRED, reason)
  const timer = setTimeout(() => { socket.terminate() }, CLOSE_GRACE_MS)
  timer.unref()
  socket.once('close', () => { clearTimeout(timer) })
}

/** What a socket was admitted with: its token's expiry, and what revokes it (its session, or its external user). */
export interface Admission { exp: number, sid: string, iss: string, sub: string, iat: number }
/** http-proxy's hook context. */
export interface HookContext { log: { error: (details: object, message: string) => void } }

export class WebSocketExpiry {
  private readonly admissions = new WeakMap<Socket, Admission>()
  private readonly sessions: WebSocketRevocations | undefined

  /**
   * `mode`: the route's auth mode (on `required`, a socket without an admission is closed). `revocations`: the
   * plugin's list, to close sockets of revoked sessions (omitted: at expiry only).
   */
  constructor (private readonly mode: RouteAuth, revocations?: RevocationList) {
    this.sessions = revocations === undefined ? undefined : new WebSocketRevocations(revocations)
  }

  /** Called at the upgrade, once the token is verified. `exp` in seconds since the epoch. */
  note (socket: Socket, claims: Admission): void {
    this.admissions.set(socket, { exp: claims.exp, sid: claims.sid, iss: claims.iss, sub: claims.sub, iat: claims.iat })
  }

  /**
   * http-proxy's `wsHooks.onConnect`: arm the close timer for the client socket `source`, track its session. It runs
   * only once the upstream `target` is open, which may be after the client has gone: that client's 'close' has
   * already fired, so it is neither timed nor tracked (it would stay in the map for ever), and the upstream socket,
   * which carries the user's identity and has no client any more, is cut off.
   */
  readonly onConnect = (context: HookContext, source: WebSocket, target: WebSocket): void => {
    if (source.readyState !== WebSocket.OPEN) {
      target.terminate()
      return
    }
    const tcp = (source as unknown as { _socket?: Socket })._socket
    const admission = tcp === undefined ? undefined : this.admissions.get(tcp)
    if (admission === undefined) {
      // `optional` without a token is anonymous: nothing to expire. On `required` every upgrade that got here was
      // admitted by the auth hook; a socket we cannot tie to its token would outlive expiry and revocation.
      if (this.mode === 'required') {
        context.log.error({ code: WS_INTERNAL_ERROR }, 'WebSocket on an auth: required route without a recorded admission; closed')
        source.close(WS_INTERNAL_ERROR, 'internal error')
        target.terminate()
      }
      return
    }
    const close = (): void => { closeUnauthorised(source, 'token expired') }
    const delay = admission.exp * 1000 - Date.now()
    if (delay <= 0) {
      close()
      return
    }
    const timer = setTimeout(close, Math.min(delay, 2_147_483_647))
    timer.unref()
    source.once('close', () => { clearTimeout(timer) })
    this.sessions?.track(admission, source)
  }

  /** Sockets tracked by session (for tests and metrics). */
  get tracked (): number {
    return this.sessions?.size ?? 0
  }

  /** Stops listening for revocations (the app is closing). */
  stop (): void {
    this.sessions?.stop()
  }
}
