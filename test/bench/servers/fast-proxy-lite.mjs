// Peer `fast-proxy-lite` (issue #18): the proxy engine of fast-gateway, on a bare node:http server (its own
// keep-alive agent to the upstream). No auth, no logging. Upstream from UPSTREAM_URL. Prints `{"ready":true,"port":N}`
// once listening on 127.0.0.1.
import { createServer } from 'node:http'
import fastProxy from 'fast-proxy-lite'

const upstream = process.env.UPSTREAM_URL
if (!upstream) throw new Error('UPSTREAM_URL is required')

const { proxy, close } = fastProxy({ base: upstream })

const server = createServer((request, response) => { proxy(request, response, request.url ?? '/', {}) })
server.keepAliveTimeout = 72_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }))
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => { server.closeAllConnections(); server.close(() => { close(); process.exit(0) }) })
}
