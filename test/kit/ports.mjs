// Loopback ports for tests: one that was free a moment ago (to hand to a server that must bind it itself, a child
// process or a config file), and one that nobody listens on (connections are refused). Both bind 127.0.0.1 only.
import { createServer } from 'node:net'

function releasedPort () {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => { resolve(port) })
    })
  })
}

/** A loopback port free a moment ago, for a server that binds it itself (another process may take it meanwhile). */
export const freePort = releasedPort

/** A loopback port with nobody listening: connections to it are refused (an upstream or issuer that is down). */
export const closedPort = releasedPort
