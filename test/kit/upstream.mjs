// The recording upstream: a plain node:http server on 127.0.0.1 that keeps exactly what reached it (method, target,
// headers as parsed and raw) and answers through a replaceable handler, by default a JSON echo. The gateway's tests
// and the attack catalogue both assert on what the legacy service behind the gateway would have seen.
import { createServer } from 'node:http'

/** The default answer: 200 JSON echo of method, url and headers, once the request body is consumed. */
export function echo (request, response) {
  request.resume()
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers }))
  })
}

const sighting = (request) => ({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, rawHeaders: request.rawHeaders })

export async function startUpstream (t, options = {}) {
  const seen = []
  let connections = 0
  let handler = echo
  const server = createServer((request, response) => {
    seen.push(sighting(request))
    handler(request, response)
  })
  server.on('connection', () => { connections++ })
  // Off by default: a test that speaks WebSocket attaches its own 'upgrade' listener to `server`.
  if (options.recordUpgrades === true) {
    server.on('upgrade', (request, socket) => {
      seen.push(sighting(request))
      socket.destroy()
    })
  }
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  const { port } = server.address()
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    connections: () => connections,
    handle: (next) => { handler = next }
  }
}
