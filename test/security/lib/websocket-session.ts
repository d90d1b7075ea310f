// WebSockets held by a session, for the cases that end sessions: a WebSocket upstream that echoes, and a client
// socket whose close (code, reason, time) the case can wait for with a bound. The recording upstream of target.ts
// refuses upgrades, so a case that needs a live socket routes `/ws` here. The case closes what it opened.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'

export interface Closed { code: number, reason: string, at: number }

export interface HeldSocket {
  socket: WebSocket
  /** The close, or 'open' when the socket is still open after `ms`. */
  closeWithin: (ms: number) => Promise<Closed | 'open'>
}

/**
 * A WebSocket upstream on 127.0.0.1 that echoes every message; with `withSession`, prefixed by the session id the
 * gateway sent in the handshake (`sid:message`), so a test sees as whom the socket relays.
 */
export async function startEchoWsUpstream (withSession = false): Promise<{ url: string, close: () => Promise<void> }> {
  const server = createServer((_request, response) => { response.end('http') })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (socket, request) => {
    socket.on('message', (data) => {
      socket.send(withSession ? `${String(request.headers['x-session-id'])}:${(data as Buffer).toString()}` : data)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate()
      wss.close()
      server.closeAllConnections()
      server.close(() => { resolve() })
    })
  }
}

/** Opens `path` on the gateway at `origin` with `token`; rejects when the upgrade is refused. */
export async function holdSocket (origin: string, path: string, token: string): Promise<HeldSocket> {
  const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}${path}`, { headers: { authorization: `Bearer ${token}` } })
  const closed = new Promise<Closed>((resolve) => {
    socket.once('close', (code, reason) => { resolve({ code, reason: reason.toString(), at: Date.now() }) })
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => { resolve() })
    socket.once('unexpected-response', (_request, response) => { reject(new Error(`upgrade answered ${String(response.statusCode)}`)) })
    socket.once('error', reject)
  })
  return {
    socket,
    closeWithin: (ms) => Promise.race([closed, new Promise<'open'>((resolve) => { setTimeout(() => { resolve('open') }, ms).unref() })])
  }
}

/** The `sid` claim of an access token the gateway issued (read, not verified: the case's own token). */
export function sidOf (accessToken: string): string {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: string }).sid
}
