// Peer `node-http-proxy` (issue #18): the `http-proxy` npm package on node:http, with a keep-alive agent to the
// upstream (its default opens a connection per request, which would measure TCP set-up, not the proxy). No auth,
// no logging. Upstream from UPSTREAM_URL. Prints `{"ready":true,"port":N}` once listening on 127.0.0.1.
import { Agent, createServer } from 'node:http'
import httpProxy from 'http-proxy'

const upstream = process.env.UPSTREAM_URL
if (!upstream) throw new Error('UPSTREAM_URL is required')

// The same pool size as @fastify/http-proxy's undici default (128), so the peers differ in code, not in sockets.
const agent = new Agent({ keepAlive: true, maxSockets: 128 })
const proxy = httpProxy.createProxyServer({ target: upstream, agent, xfwd: false })
// A failed upstream answers 502 instead of crashing the process (http-proxy throws without an error listener).
proxy.on('error', (_error, _request, response) => {
  if ('writeHead' in response && !response.headersSent) response.writeHead(502)
  response.end()
})

const server = createServer((request, response) => { proxy.web(request, response) })
server.keepAliveTimeout = 72_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }))
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => { server.closeAllConnections(); server.close(() => { agent.destroy(); process.exit(0) }) })
}
