// Closes a proxied WebSocket with 4401 when the access token that opened it expires: a connection must not
// outlive the credentials it was admitted with. The auth hook notes the token's `exp` against the upgrade's TCP
// socket; when the proxy links the client WebSocket (whose `_socket` is that same TCP socket, a long-stable ws
// internal) to the upstream, a timer is armed. The client is expected to reconnect with a fresh token.
import type { Socket } from 'node:net'
import type WebSocket from 'ws'

export const WS_TOKEN_EXPIRED = 4401

export class WebSocketExpiry {
  private readonly expiries = new WeakMap<Socket, number>()

  /** Called at the upgrade, once the token is verified. `exp` in seconds since the epoch. */
  note (socket: Socket, exp: number): void {
    this.expiries.set(socket, exp)
  }

  /** http-proxy's `wsHooks.onConnect`: arm the close timer for the client socket `source`. */
  readonly onConnect = (_context: unknown, source: WebSocket): void => {
    const tcp = (source as unknown as { _socket?: Socket })._socket
    const exp = tcp === undefined ? undefined : this.expiries.get(tcp)
    if (exp === undefined) return
    const close = (): void => { source.close(WS_TOKEN_EXPIRED, 'token expired') }
    const delay = exp * 1000 - Date.now()
    if (delay <= 0) {
      close()
      return
    }
    const timer = setTimeout(close, Math.min(delay, 2_147_483_647))
    timer.unref()
    source.once('close', () => { clearTimeout(timer) })
  }
}
