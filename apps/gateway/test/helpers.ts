// Test helpers: a recording upstream (plain node:http, records exactly what reached it), a gateway built from a
// configuration object through the real config validator and the real @authgate/fastify plugin, token minting
// with the gateway's own key set, and a raw-socket client for request targets no HTTP library would send.
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { generateKey, type KeyInput } from '@authgate/fastify/tokens'
import { buildApp, type BuildOptions } from '../src/app.js'
import { parseConfig } from '../src/config.js'

export interface TeardownHost { teardown (fn: () => unknown): void }

export { echo, startUpstream, type RecordingUpstream, type SeenRequest as Seen, type UpstreamHandler } from '@authgate/test-kit/upstream'

export interface TestGateway {
  app: FastifyInstance
  origin: string
  port: number
  key: KeyInput
  token: (sub: string, roles?: string[], sid?: string) => string
}

/** A gateway listening on 127.0.0.1:0 built from `config` (routes etc.), with an in-memory EdDSA key. */
export async function startGateway (t: TeardownHost, config: Record<string, unknown>, options: BuildOptions = {}): Promise<TestGateway> {
  const key = generateKey('EdDSA')
  const tokens = { issuer: 'authgate-test', audience: 'upstream', keys: [key], ...(config.tokens as Record<string, unknown> | undefined) }
  const parsed = parseConfig({ ...config, tokens }, { file: 'test-config' })
  const app = await buildApp(parsed, { logger: false, ...options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const { port } = app.server.address() as AddressInfo
  let counter = 0
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    port,
    key,
    token: (sub, roles = [], sid) => app.authgate.tokens.sign({ sub, sid: sid ?? `sid-${sub}-${++counter}`, roles }).token
  }
}

export interface RawResponse {
  status: number
  head: string
  body: string
  raw: string
}

/** Sends `request` bytes as they are over a TCP socket and collects the answer until the server closes or `ms`. */
export async function rawRequest (port: number, request: string, ms = 1500): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const finish = (): void => {
      clearTimeout(timer)
      socket.destroy()
      const raw = Buffer.concat(chunks).toString('latin1')
      const split = raw.indexOf('\r\n\r\n')
      const head = split === -1 ? raw : raw.slice(0, split)
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
      resolve({ status, head, body: split === -1 ? '' : raw.slice(split + 4), raw })
    }
    const timer = setTimeout(finish, ms)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', finish)
    socket.on('error', finish)
    socket.write(request)
  })
}

/** A GET with `Connection: close` and the given target and extra header lines. */
export function rawGet (target: string, headers: string[] = []): string {
  return [`GET ${target} HTTP/1.1`, 'Host: gateway.test', ...headers, 'Connection: close', '', ''].join('\r\n')
}

/** A route's slots in use and requests waiting, as /metrics reports them (authgate_route_active/queued). */
export async function routeLoad (origin: string, prefix: string): Promise<{ active: number, queued: number }> {
  const text = await (await fetch(`${origin}/metrics`)).text()
  const gauge = (name: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`authgate_route_${name}{route="${prefix}"} `))
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return { active: gauge('active'), queued: gauge('queued') }
}

/** Polls the route's load every 50 ms, at most `ms`, until `condition` holds; returns whether it did. */
export async function waitForLoad (origin: string, prefix: string, condition: (load: { active: number, queued: number }) => boolean, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (condition(await routeLoad(origin, prefix))) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return condition(await routeLoad(origin, prefix))
}
