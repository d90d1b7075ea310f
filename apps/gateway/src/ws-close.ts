// Close reasons sent to WebSocket clients. @fastify/http-proxy closes the client socket with `error.message` when
// the upstream side fails (`connect ECONNREFUSED 127.0.0.1:3002`: the upstream address, B.36), and ws throws a
// RangeError for a reason longer than a close frame holds, which, thrown from inside an 'error' listener, crashes
// the process. The library offers no hook on that path, but its WebSocket server takes our `WebSocket` class
// (ws's `WebSocket` server option, passed through `wsServerOptions`): every client socket is an instance of the
// class below, whose close() sends a generic reason for internal errors and never throws.
import WebSocket from 'ws'

/** A close frame's payload is at most 125 bytes, two of which are the code. */
const MAX_REASON_BYTES = 123
/** The code http-proxy uses for every failure of the link (upstream error, unexpected response, socket error). */
const INTERNAL_ERROR = 1011
export const GENERIC_ERROR_REASON = 'upstream unavailable'

export interface CloseLogger { warn: (object: Record<string, unknown>, message: string) => void }

/** The reason a client may see: internal-error reasons are replaced, over-long ones dropped. */
export function clientCloseReason (code: number | undefined, reason: string | Buffer | undefined): string | Buffer | undefined {
  if (reason === undefined) return undefined
  if (code === INTERNAL_ERROR) return GENERIC_ERROR_REASON
  return Buffer.byteLength(reason) > MAX_REASON_BYTES ? '' : reason
}

/** The `WebSocket` class for the proxy's server: client sockets whose close() is safe to call with any reason. */
export function createClientWebSocketClass (log: CloseLogger): typeof WebSocket {
  class ClientWebSocket extends WebSocket {
    override close (code?: number, reason?: string | Buffer): void {
      const safe = clientCloseReason(code, reason)
      // (ws calls close() again with the reason the peer echoed back: that one is no news.)
      if (String(safe) !== String(reason)) log.warn({ code, reason: String(reason) }, 'WebSocket closed with an internal reason; the client gets a generic one')
      try {
        super.close(code, safe)
      } catch (error) {
        // An invalid code (or anything else ws refuses): the connection ends anyway, without a close frame.
        log.warn({ err: error, code }, 'WebSocket close refused; terminating')
        this.terminate()
      }
    }
  }
  return ClientWebSocket
}
