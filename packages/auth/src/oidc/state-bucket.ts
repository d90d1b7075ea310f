// Whose pending sign-ins a login state counts against (the caps of OidcStore.saveLoginState), and the login rate
// limit's key on the sign-in routes. Two widths: the client (an IPv4 address, or the /64 of an IPv6 one: one
// subscriber usually holds a whole /64, so per address would not cap them) and its network (the IPv4 /24 or the
// IPv6 /48: one site or one customer of a provider usually holds that much, so an attacker cannot reach the store's
// cap by cycling through the addresses of one network).
import { isIPv6 } from 'node:net'

export function stateBucket (ip: string): string {
  const v4 = ipv4(ip)
  if (v4 !== undefined) return v4
  if (!isIPv6(ip)) return ip
  return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`
}

export function stateNetwork (ip: string): string {
  const v4 = ipv4(ip)
  if (v4 !== undefined) return `${v4.split('.').slice(0, 3).join('.')}.0/24`
  if (!isIPv6(ip)) return ip
  return `${ipv6Groups(ip).slice(0, 3).join(':')}::/48`
}

/** The IPv4 address, also from its IPv4-mapped IPv6 form; undefined for anything else. */
function ipv4 (ip: string): string | undefined {
  const mapped = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  return mapped?.[1]
}

/** The eight groups of an IPv6 address, lower case without leading zeros (a zone index dropped). */
function ipv6Groups (ip: string): string[] {
  const [head = '', tail = ''] = (ip.toLowerCase().split('%')[0] ?? '').split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
  return groups.map((group) => group.replace(/^0+(?=.)/, ''))
}
