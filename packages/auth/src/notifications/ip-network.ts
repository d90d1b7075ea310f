// The network an address belongs to, for new-IP notifications: a /24 (IPv4) or /64 (IPv6) by default, because one
// household or mobile carrier hands a user a different address inside the same network from one day to the next,
// and a notification for each would teach users to ignore them.
import { isIP } from 'node:net'

export interface IpPrefix {
  /** Bits of an IPv4 address that name its network (0–32). */
  v4: number
  /** Bits of an IPv6 address that name its network (0–128). */
  v6: number
}

export const DEFAULT_IP_PREFIX: IpPrefix = { v4: 24, v6: 64 }

const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/** `203.0.113.0/24`, `2001:db8:1:2::/64`; null when `ip` is not an address (a closed socket gives ''). */
export function networkOf (ip: string, prefix: IpPrefix): string | null {
  // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d: the same client must map to the same network.
  const mapped = V4_MAPPED.exec(ip)?.[1]
  const address = mapped ?? ip
  const family = isIP(address)
  if (family === 4) return `${maskV4(address, prefix.v4)}/${prefix.v4}`
  if (family === 6) return `${maskV6(address, prefix.v6)}/${prefix.v6}`
  return null
}

function maskV4 (address: string, bits: number): string {
  return address.split('.').map((part, index) => {
    const keep = Math.max(0, Math.min(8, bits - index * 8))
    return String(Number(part) & (0xff << (8 - keep)) & 0xff)
  }).join('.')
}

function maskV6 (address: string, bits: number): string {
  const groups = expandV6(address)
  const masked = groups.map((group, index) => {
    const keep = Math.max(0, Math.min(16, bits - index * 16))
    return (group & (0xffff << (16 - keep)) & 0xffff).toString(16)
  })
  return compressV6(masked)
}

/** Eight 16-bit groups; an embedded IPv4 tail (::1.2.3.4) becomes the last two. */
function expandV6 (address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '')
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)?.[1]
  if (tail !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number)
    text = text.slice(0, -tail.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', rest] = text.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = rest === undefined || rest === '' ? [] : rest.split(':')
  const missing = rest === undefined ? 0 : 8 - left.length - right.length
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16))
}

/** The longest run of zero groups as `::` (RFC 5952), so one network always has one spelling. */
function compressV6 (groups: string[]): string {
  let bestStart = -1
  let bestLength = 0
  for (let start = 0; start < groups.length;) {
    if (groups[start] !== '0') { start++; continue }
    let end = start
    while (end < groups.length && groups[end] === '0') end++
    if (end - start > bestLength && end - start > 1) { bestStart = start; bestLength = end - start }
    start = end
  }
  if (bestStart === -1) return groups.join(':')
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`
}
