// Several cookies of one name on a request (cookie tossing): a sibling subdomain can set `Domain=<parent>` with a
// longer Path, and browsers send that copy FIRST; @fastify/cookie (the `cookie` parser) keeps the first copy of a
// name and drops the rest. So "which copy is ours" can never be answered from `request.cookies`: the raw header is
// counted here, and more than one copy is refused by the caller instead of resolved.
//
// The count follows the parser exactly: a pair is `name=value` between semicolons, the name trimmed of spaces and
// tabs only. Node joins repeated `Cookie` headers into one with "; " (HTTP/1.1 and HTTP/2), so copies spread over
// several headers are counted too. Names are compared exactly, as the parser and browsers do: a case variant or a
// percent-encoded spelling is a different cookie that authgate never reads (and cannot be mistaken for ours).

/** How many cookies named exactly `name` the Cookie header holds. Linear in the header (one split, one pass). */
export function countCookies (header: string | undefined, name: string): number {
  if (header === undefined || !header.includes(name)) return 0
  let count = 0
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=')
    if (equals !== -1 && trimSpaceTab(pair.slice(0, equals)) === name) count++
  }
  return count
}

function trimSpaceTab (text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--
  return text.slice(start, end)
}

/**
 * At most this many domains are tried, shortest first: each is one Set-Cookie line. The shortest two-label one is
 * the registrable domain (`example.com`) unless the host is under a multi-label public suffix (`app.example.co.uk`):
 * then it is the suffix itself (`co.uk`), a Domain browsers refuse to set or match, so that line is ignored
 * (harmless: it only takes one of the slots). No public-suffix list is consulted.
 */
const MAX_DOMAINS = 6
const DNS_LABEL = /^[a-z0-9-]{1,63}$/

/** `host` and its parent domains, shortest first (`example.com`, `a.example.com`); none for an IP or one label. */
function domainsOf (hostname: string): string[] {
  const host = hostname.toLowerCase()
  const labels = host.split('.')
  if (host.length > 253 || labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label)) || /^\d+$/.test(labels.at(-1) ?? '')) return []
  const domains: string[] = []
  for (let start = labels.length - 2; start >= 0 && domains.length < MAX_DOMAINS; start--) domains.push(labels.slice(start).join('.'))
  return domains
}

/**
 * Where a tossed copy of a cookie can live so that the browser sends it to `endpoints`: every Path that
 * path-matches one of them (`/`, `/auth`, `/auth/`, `/auth/refresh`) and every Domain that domain-matches the host
 * (`app.example.com`, `example.com`) or none (host-only). Expiring a cookie needs its exact (name, Domain, Path), so
 * the caller expires it at each of these. Limits: a copy on a Path or Domain outside these is never sent to the
 * endpoints anyway; `hostname` comes from the Host header, which is harmless since only deletions are sent there.
 */
export function tossedCopyLocations (endpoints: readonly string[], hostname: string): Array<{ path: string, domain: string | undefined }> {
  const paths = new Set<string>(['/'])
  for (const endpoint of endpoints) {
    let path = ''
    for (const segment of endpoint.split('/').filter((part) => part !== '')) {
      // `/auth/` path-matches `/auth/refresh` too (a cookie path ending in a slash).
      if (path !== '') paths.add(`${path}/`)
      path += `/${segment}`
      paths.add(path)
    }
  }
  const domains: Array<string | undefined> = [undefined, ...domainsOf(hostname)]
  return [...paths].flatMap((path) => domains.map((domain) => ({ path, domain })))
}
