// `headers.drop` and `headers.pass`: the gateway's drop-list of untrusted request headers (untrusted-headers.ts),
// extended or narrowed by the file. Names are lower-cased and `_` is read as `-`, as the drop rule compares them.
import { ALWAYS_DROPPED, ROUTING_OVERRIDES, headerKey } from '../untrusted-headers.js'
import type { HeaderLists, Report } from './types.js'

/** An HTTP token (RFC 9110 §5.6.2), optionally ending in `*` for a family. */
const ENTRY = /^[!#$%&'+.^_`|~0-9a-z-]{1,64}\*?$/

/** Headers a proxied request needs to be the same request: never droppable. */
const FRAMING = ['host', 'content-length', 'content-type', 'content-encoding']

/** `headers.drop` / `headers.pass` after the schema (lists of strings). */
export function readHeaderLists (headers: { drop: readonly string[], pass: readonly string[] }, report: Report): HeaderLists {
  const list = (key: 'drop' | 'pass', families: boolean): string[] => headers[key].map((item, index) => {
    const entry = headerKey(item)
    if (!ENTRY.test(entry) || (!families && entry.endsWith('*'))) {
      report(`headers.${key}[${index}]`, families ? 'must be a header name, or a name prefix ending in * (x-internal-*)' : 'must be a header name')
    }
    return entry
  })
  const drop = list('drop', true)
  drop.forEach((entry, index) => {
    const covers = (name: string): boolean => entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry
    const framing = FRAMING.find(covers)
    if (framing !== undefined) report(`headers.drop[${index}]`, `would drop ${framing}, which the upstream request cannot do without`)
  })
  const pass = list('pass', false)
  pass.forEach((name, index) => {
    if ((ROUTING_OVERRIDES as readonly string[]).includes(name)) {
      report(`headers.pass[${index}]`, `cannot let ${name} through: upstreams route on it instead of the path, which would undo the gateway's path check`)
    } else if (ALWAYS_DROPPED.has(name)) {
      report(`headers.pass[${index}]`, `cannot let ${name} through: the gateway always removes it (identity, forwarding or hop-by-hop header)`)
    }
  })
  return Object.freeze({ drop: Object.freeze(drop), pass: Object.freeze(pass) })
}
