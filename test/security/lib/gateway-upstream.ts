// Upstream behaviours for section B: the default echo (to restore after a case changed the shared upstream's
// handler), hostile answers, and loopback listeners that stand for "another host" (a decoy that counts
// connections, a port nobody listens on, a server that never answers). Every listener is closed by the case.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { echo } from '@authgate/test-kit/upstream'
import type { AttackTarget, UpstreamHandler } from './target.js'

/** Runs `body` with the shared upstream answering through `handler`, then puts the echo back. */
export async function withUpstream<T> (target: AttackTarget, handler: UpstreamHandler, body: () => Promise<T>): Promise<T> {
  target.upstream.handle(handler)
  try {
    return await body()
  } finally {
    target.upstream.handle(echo)
  }
}

export interface Listener {
  port: number
  /** Connections accepted so far. */
  connections: () => number
  close: () => Promise<void>
}

/** A TCP listener on loopback that accepts connections and never writes a byte (decoy, or an upstream that hangs). */
export async function silentListener (): Promise<Listener> {
  const sockets = new Set<Socket>()
  let count = 0
  const server: Server = createServer((socket) => {
    count++
    sockets.add(socket)
    socket.on('error', () => { /* the gateway gave up on it */ })
    socket.on('close', () => { sockets.delete(socket) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => { resolve() })
    })
  }
}
