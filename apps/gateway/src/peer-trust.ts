// Which direct peers may tell authgate what a request was about (the forward-auth endpoint's X-Forwarded-Uri,
// X-Original-URI and X-Forwarded-Method): loopback (a proxy on the same host, the usual nginx beside authgate), and
// every peer `server.trustProxy` trusts (the same addresses Fastify believes X-Forwarded-For from). Any other peer
// could name whatever URI it likes and have its token judged against the wrong route policy. Headers a proxy merely
// passes on from its client (nginx forwards a client's X-Request-Id as it is) are believed from trustProxy peers
// only: `{ loopback: false }`.
import proxyAddr from '@fastify/proxy-addr'
import type { GatewayConfig } from './config.js'

export type PeerTrust = (address: string | undefined) => boolean

/**
 * Addresses whose verdict is kept. proxy-addr parses the address on every call (ipaddr.js, ≈ 3 µs of the forward-auth
 * request's CPU, docs/profiling.md); the verdict depends on the address alone and the configuration never changes, so
 * the few peers a gateway sees (its proxies) are judged once. Beyond this many the memo starts over: a client
 * connecting from ever new addresses only has its address parsed again, it cannot grow the heap.
 */
const REMEMBERED_PEERS = 256

function remembered (judge: (address: string) => boolean): PeerTrust {
  const verdicts = new Map<string, boolean>()
  return (address) => {
    if (address === undefined) return false
    let verdict = verdicts.get(address)
    if (verdict === undefined) {
      verdict = judge(address)
      if (verdicts.size >= REMEMBERED_PEERS) verdicts.clear()
      verdicts.set(address, verdict)
    }
    return verdict
  }
}

export function createPeerTrust (trustProxy: GatewayConfig['server']['trustProxy'], options: { loopback: boolean } = { loopback: true }): PeerTrust {
  // `true`, or a hop count of at least one: the direct peer (hop 0) is trusted, as Fastify reads them.
  if (trustProxy === true || (typeof trustProxy === 'number' && trustProxy > 0)) return (address) => address !== undefined
  let addresses: string[] = []
  if (typeof trustProxy === 'string') addresses = trustProxy.split(',').map((item) => item.trim()).filter((item) => item !== '')
  else if (typeof trustProxy === 'object') addresses = [...trustProxy]
  if (!options.loopback && addresses.length === 0) return () => false
  const trusted = proxyAddr.compile(options.loopback ? ['loopback', ...addresses] : addresses)
  return remembered((address) => trusted(address, 0))
}
