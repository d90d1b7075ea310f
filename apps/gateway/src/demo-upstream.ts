// The demo upstream (`@authgate/gateway/demo-upstream`; the embedded mode runs it in-process): a plain node:http
// service that knows nothing of JWT, sessions or cookies. It trusts the identity headers the gateway forwards, which
// is exactly how an unmodified legacy service sits behind authgate, and echoes what it received so a user (or a test)
// can see the identity arrive: GET /api/whoami → { userId, roles, ... }.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Headers the demo echoes back: the identity the gateway injects and the forwarding headers it sets. */
export const ECHOED_HEADERS = [
  'x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'host', 'cookie', 'authorization'
] as const

export interface DemoUpstreamOptions {
  /** Default 0: a free port chosen by the kernel. */
  port?: number
  /** Default 127.0.0.1: the demo is meant to be reachable only through the gateway. */
  host?: string
}

export interface DemoUpstream {
  server: Server
  port: number
  /** `http://host:port`, for a gateway route's `upstream`. */
  url: string
  close: () => Promise<void>
}

export interface WhoamiBody {
  method: string
  path: string
  userId: string | null
  roles: string[]
  sessionId: string | null
  /** Whether the gateway's signed assertion arrived (its value is in `headers`). */
  assertion: boolean
  headers: Record<string, string>
}

function single (value: string | string[] | undefined): string | null {
  if (value === undefined) return null
  return Array.isArray(value) ? value.join(', ') : value
}

/** What the demo answers for any request: who the gateway says the caller is. */
export function describeRequest (request: IncomingMessage): WhoamiBody {
  const headers: Record<string, string> = {}
  for (const name of ECHOED_HEADERS) {
    const value = single(request.headers[name])
    if (value !== null) headers[name] = value
  }
  const roles = single(request.headers['x-user-roles'])
  return {
    method: request.method ?? 'GET',
    path: request.url ?? '/',
    userId: single(request.headers['x-user-id']),
    roles: roles === null || roles === '' ? [] : roles.split(','),
    sessionId: single(request.headers['x-session-id']),
    assertion: request.headers['x-authgate-assertion'] !== undefined,
    headers
  }
}

function handle (request: IncomingMessage, response: ServerResponse): void {
  // Drain any body: the demo does not read it, but an unread body would stall a keep-alive connection.
  request.resume()
  request.on('end', () => {
    const body = JSON.stringify(describeRequest(request))
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    response.end(request.method === 'HEAD' ? undefined : body)
  })
}

/** Starts the demo upstream; resolves once it listens. */
export async function startDemoUpstream (options: DemoUpstreamOptions = {}): Promise<DemoUpstream> {
  const host = options.host ?? '127.0.0.1'
  const server = createServer(handle)
  // Keep idle connections longer than the gateway's pool does, so the pool never reuses a socket being closed.
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    server,
    port,
    url: `http://${urlHost}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => { resolve() })
    })
  }
}
