// Which direct peers may tell authgate what a request was about (the forward-auth endpoint's X-Forwarded-Uri,
// X-Original-URI and X-Forwarded-Method): loopback (a proxy on the same host, the usual nginx beside authgate), and
// every peer `server.trustProxy` trusts (the same addresses Fastify believes X-Forwarded-For from). Any other peer
// could name whatever URI it likes and have its token judged against the wrong route policy. Headers a proxy merely
// passes on from its client (nginx forwards a client's X-Request-Id as it is) are believed from trustProxy peers
// only: `{ loopback: false }`.
import proxyAddr from '@fastify/proxy-addr'
import type { GatewayConfig } from './config.js'

export type PeerTrust = (address: string | undefined) => boolean

export function createPeerTrust (trustProxy: GatewayConfig['server']['trustProxy'], options: { loopback: boolean } = { loopback: true }): PeerTrust {
  // `true`, or a hop count of at least one: the direct peer (hop 0) is trusted, as Fastify reads them.
  if (trustProxy === true || (typeof trustProxy === 'number' && trustProxy > 0)) return (address) => address !== undefined
  let addresses: string[] = []
  if (typeof trustProxy === 'string') addresses = trustProxy.split(',').map((item) => item.trim()).filter((item) => item !== '')
  else if (typeof trustProxy === 'object') addresses = [...trustProxy]
  if (!options.loopback && addresses.length === 0) return () => false
  const trusted = proxyAddr.compile(options.loopback ? ['loopback', ...addresses] : addresses)
  return (address) => address !== undefined && trusted(address, 0)
}
