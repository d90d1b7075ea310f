// The active half of `authgate doctor`: requests a client should never get through, fired at a running gateway
// over raw sockets (so no HTTP library cleans the target up first). A probe fails when the request reached the
// upstream: the upstream echoed our forged marker back, or a path-bypass spelling got a 2xx on a protected prefix.
import { connect } from 'node:net'
import type { RouteConfig } from '../config.js'
import type { ClaimHeader, HeaderLists } from '../config/types.js'
import { DEFAULT_DROP, FORWARDING, headerKey } from '../untrusted-headers.js'

export const MARKER = 'authgate-doctor-forged-identity'

export interface ProbeResult {
  route: string
  probe: string
  status: number
  ok: boolean
  detail: string
}

interface Target { host: string, port: number }

function send (target: Target, request: string, timeoutMs = 3000): Promise<{ status: number, text: string }> {
  return new Promise((resolve) => {
    const socket = connect(target.port, target.host)
    const chunks: Buffer[] = []
    const done = (): void => {
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text })
    }
    const timer = setTimeout(done, timeoutMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', done)
    socket.on('error', done)
    socket.write(request)
  })
}

function get (path: string, headers: string[]): string {
  return [`GET ${path} HTTP/1.1`, 'Host: authgate-doctor', ...headers, 'Connection: close', '', ''].join('\r\n')
}

const FORGED = [
  `X-User-Id: ${MARKER}`, `x-uSeR-iD: ${MARKER}`, `X-User-Roles: ${MARKER}`, `X-Session-Id: ${MARKER}`,
  `X-Authgate-Assertion: ${MARKER}`, `X-Forwarded-User: ${MARKER}`, `X-Auth-Request-User: ${MARKER}`, `X_User_Id: ${MARKER}`
]

/**
 * One forged line per header the gateway must not pass on (issue #11 item 8): the forwarding headers it rebuilds and
 * the drop-list in effect (defaults plus `headers.drop`, a family as `<prefix>doctor`, minus `headers.pass`).
 */
export function untrustedHeaderLines (lists: HeaderLists): string[] {
  const passed = new Set(lists.pass.map(headerKey))
  const names = [...FORWARDING, ...DEFAULT_DROP, ...lists.drop].map((entry) => entry.endsWith('*') ? `${entry.slice(0, -1)}doctor` : entry)
  return [...new Set(names)].filter((name) => !passed.has(headerKey(name))).map((name) => `${name}: ${MARKER}`)
}

/** The names of `lines` whose forged value the upstream echoed back (as a JSON echo of its request headers shows). */
function echoedNames (text: string, lines: readonly string[]): string[] {
  const lower = text.toLowerCase()
  return lines.map((line) => line.slice(0, line.indexOf(':'))).filter((name) => lower.includes(`"${name}":"${MARKER}"`))
}

/** Path spellings of docs/security.md B.29 that try to reach `protectedPrefix` from under `publicPrefix`. */
export function bypassSpellings (publicPrefix: string, protectedPrefix: string): string[] {
  const pub = publicPrefix === '/' ? '' : publicPrefix
  const name = protectedPrefix.slice(1)
  const first = name.charAt(0)
  return [
    `${pub}/../${name}/doctor`, `${pub}/%2e%2e/${name}/doctor`, `${pub}/%2E%2E%2F${name}/doctor`, `${pub}/..%2f${name}`,
    `${pub}/%252e%252e%252f${name}`, `${pub}/..;/${name}`, `${pub}/.%2e/${name}`, `${pub}\\..\\${name}`,
    `/${name.toUpperCase()}/doctor`, `//${name}/doctor`, `/${name}%2Fdoctor`, `/${name}/doctor%00`,
    `/%${first.charCodeAt(0).toString(16)}${name.slice(1)}/doctor`,
    // Read as the prefix by upstreams that strip format suffixes, decode before parsing, or normalise Unicode.
    `/${name}.json`, `/${name}%3F/doctor`, `/${name}%EF%BC%8Fdoctor`
  ]
}

/** The forged identity lines, plus each `headers.claims`/`headers.preset` name in its dash and underscore spellings. */
export function forgedIdentityLines (claimHeaders: readonly Pick<ClaimHeader, 'name'>[]): string[] {
  return [...FORGED, ...claimHeaders.flatMap(({ name }) => [`${name}: ${MARKER}`, `${name.replaceAll('-', '_')}: ${MARKER}`])]
}

export async function runProbes (target: Target, routes: readonly RouteConfig[], headerLists: HeaderLists = { drop: [], pass: [] }, claimHeaders: readonly ClaimHeader[] = []): Promise<ProbeResult[]> {
  const results: ProbeResult[] = []
  const untrusted = untrustedHeaderLines(headerLists)
  const forged = forgedIdentityLines(claimHeaders)
  for (const route of routes) {
    const path = route.prefix === '/' ? '/authgate-doctor' : `${route.prefix}/authgate-doctor`
    const proxied = await send(target, get(path, untrusted))
    const echoed = echoedNames(proxied.text, untrusted)
    results.push({
      route: route.prefix,
      probe: `untrusted proxy headers (${untrusted.length})`,
      status: proxied.status,
      ok: echoed.length === 0 && !proxied.text.includes(MARKER),
      detail: echoed.length > 0
        ? `the upstream received ${echoed.slice(0, 5).join(', ')}${echoed.length > 5 ? ` and ${echoed.length - 5} more` : ''}`
        : proxied.text.includes(MARKER) ? 'a forged header value reached the upstream' : `answered ${proxied.status}`
    })
    const answer = await send(target, get(path, forged))
    const leaked = answer.text.includes(MARKER)
    results.push({
      route: route.prefix,
      probe: 'forged identity headers',
      status: answer.status,
      ok: !leaked && (route.auth === 'none' || route.auth === 'optional' || answer.status === 401),
      detail: leaked ? 'the upstream received a forged identity header' : answer.status === 0 ? 'no answer' : `answered ${answer.status}`
    })
  }
  const open = routes.filter((route) => route.auth !== 'required')
  const guarded = routes.filter((route) => route.auth === 'required' && route.prefix !== '/')
  const from = open.length > 0 ? open.map((route) => route.prefix) : ['/authgate-doctor']
  for (const protectedRoute of guarded) {
    for (const publicPrefix of from) {
      for (const spelling of bypassSpellings(publicPrefix, protectedRoute.prefix)) {
        const answer = await send(target, get(spelling, []))
        const reached = answer.status >= 200 && answer.status < 400
        results.push({
          route: protectedRoute.prefix,
          probe: `path ${spelling}`,
          status: answer.status,
          ok: !reached,
          detail: reached ? `answered ${answer.status} without credentials: the request may have reached the upstream` : `answered ${answer.status}`
        })
      }
    }
  }
  return results
}
