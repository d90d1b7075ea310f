// The networks each user has signed in or refreshed from (new-IP notifications): bounded per user, so an attacker
// rotating addresses cannot grow it without limit. applySighting is the rule; the memory store applies it as is, the
// MongoDB store (stores/mongo/networks.ts) the same rule document by document. One contract suite holds both to it.

/** One network of a user's, with the last address seen in it. */
export interface NetworkEntry {
  /** `203.0.113.0/24` (notifications/ip-network.ts). */
  network: string
  ip: string
  lastSeenAt: Date
}

export interface UserNetworks {
  userId: string
  /** The address of the last sighting, whatever its network: the `previousIp` of the next new network. */
  lastIp: string
  lastSeenAt: Date
  /** Most recently seen first, at most `maxNetworks`, none older than the memory. */
  networks: NetworkEntry[]
}

export interface NetworkSighting {
  userId: string
  network: string
  ip: string
  now: Date
  /** A network not seen for this long is new again (notifications.ipMemory). */
  memoryMs: number
  /** Networks remembered per user; past it the least recently seen is forgotten. */
  maxNetworks: number
}

export interface NetworkVerdict {
  /** The network is not among the user's remembered ones, and the user has been seen before (see previousIp). */
  isNew: boolean
  /** The address of the user's previous sighting; null the first time the user is ever seen (no notification). */
  previousIp: string | null
}

/** Networks a user has at most, unless configured: enough for phone, home, work and travel over months. */
export const DEFAULT_MAX_NETWORKS = 50

/**
 * How long a user's record outlives its last sighting beyond the memory: a user back after a long absence still has
 * a previous address, so a sign-in from elsewhere is reported instead of passing for the account's first.
 */
export const DORMANT_RETENTION_MS = 365 * 86_400_000

/** The record after `seen`, and whether `seen` is news. Pure: the stores only load and save. */
export function applySighting (current: UserNetworks | null, seen: NetworkSighting): { next: UserNetworks, verdict: NetworkVerdict } {
  const forgetBefore = seen.now.getTime() - seen.memoryMs
  const remembered = (current?.networks ?? []).filter((entry) => entry.lastSeenAt.getTime() > forgetBefore && entry.network !== seen.network)
  const known = (current?.networks ?? []).some((entry) => entry.network === seen.network && entry.lastSeenAt.getTime() > forgetBefore)
  const entry: NetworkEntry = { network: seen.network, ip: seen.ip, lastSeenAt: seen.now }
  const networks = [entry, ...remembered.sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime())].slice(0, Math.max(1, seen.maxNetworks))
  const previousIp = current?.lastIp ?? null
  return {
    next: { userId: seen.userId, lastIp: seen.ip, lastSeenAt: seen.now, networks },
    verdict: { isNew: !known && previousIp !== null, previousIp }
  }
}

/** When a record may be dropped (the TTL index of the MongoDB store). */
export function networksExpireAt (record: Pick<UserNetworks, 'lastSeenAt'>, memoryMs: number): Date {
  return new Date(record.lastSeenAt.getTime() + memoryMs + DORMANT_RETENTION_MS)
}

export function copyNetworks (record: UserNetworks): UserNetworks {
  return {
    userId: record.userId,
    lastIp: record.lastIp,
    lastSeenAt: new Date(record.lastSeenAt.getTime()),
    networks: record.networks.map((entry) => ({ network: entry.network, ip: entry.ip, lastSeenAt: new Date(entry.lastSeenAt.getTime()) }))
  }
}
