// `headers.drop` and `headers.pass`: the gateway's drop-list of untrusted request headers (untrusted-headers.ts),
// extended or narrowed by the file. Names are lower-cased and `_` is read as `-`, as the drop rule compares them.
import { ALWAYS_DROPPED, ROUTING_OVERRIDES, headerKey } from '../untrusted-headers.js'
import type { HeaderLists, Report } from './types.js'

/** Headers a proxied request needs to be the same request: never droppable. */
const FRAMING = ['host', 'content-length', 'content-type', 'content-encoding']

/** `headers.drop` / `headers.pass` after the schema (lists of header names): the entries no configuration may hold. */
export function readHeaderLists (headers: { drop: readonly string[], pass: readonly string[] }, report: Report): HeaderLists {
  const drop = headers.drop.map(headerKey)
  drop.forEach((entry, index) => {
    const covers = (name: string): boolean => entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry
    const framing = FRAMING.find(covers)
    if (framing !== undefined) report(`headers.drop[${index}]`, `would drop ${framing}, which the upstream request cannot do without`)
  })
  const pass = headers.pass.map(headerKey)
  pass.forEach((name, index) => {
    if ((ROUTING_OVERRIDES as readonly string[]).includes(name)) {
      report(`headers.pass[${index}]`, `cannot let ${name} through: upstreams route on it instead of the path, which would undo the gateway's path check`)
    } else if (ALWAYS_DROPPED.has(name)) {
      report(`headers.pass[${index}]`, `cannot let ${name} through: the gateway always removes it (identity, forwarding or hop-by-hop header)`)
    }
  })
  return Object.freeze({ drop: Object.freeze(drop), pass: Object.freeze(pass) })
}
