// Loopback ports for tests: one that was free a moment ago (to hand to a server that must bind it itself, a child
// process or a config file), and one that nobody listens on (connections are refused). Both bind 127.0.0.1 only.
import { readFileSync } from 'node:fs'
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

/** The kernel's range for ports handed out by bind(0) (Linux default when it cannot be read). */
function ephemeralRange () {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high)) return { low, high }
  } catch { /* not Linux */ }
  return { low: 32768, high: 60999 }
}

function bindable (port) {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}

/**
 * A loopback port for a server that is stopped and started again on the same port (the restartable database).
 * freePort's ports come from the kernel's ephemeral range, where, while the server is down, any other test's
 * freePort() or outgoing connection may be handed the same port, and the restarted server then fails to bind while
 * its clients reach the intruder. This one is picked at random below that range, which bind(0) never hands out: only
 * another caller of this function could take it, one chance in thousands.
 */
export async function stablePort () {
  const { low } = ephemeralRange()
  const floor = 20_000
  const span = Math.max(1000, low - floor)
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = floor + Math.floor(Math.random() * span)
    if (port >= low) continue
    if (await bindable(port)) return port
  }
  throw new Error(`no bindable loopback port between ${floor} and ${low} after 50 tries`)
}
