// A legacy user system on loopback for the `users.source: upstream` cases: a login URL whose lookup is as lenient
// as a MySQL default collation (ICU root collation at base strength) plus aliases,
// and a lookup URL (`{ id }` → the user, 404 once deleted). Cases change `users` while they run.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface LegacyUser { id: string, password: string, roles: string[], deleted?: boolean }

export interface LegacySystem {
  url: string
  /** By login name as the legacy system stores it (compared through its lenient collation). */
  users: Map<string, LegacyUser>
  close: () => Promise<void>
}

/**
 * The legacy system's collation: what `WHERE email = ?` matches under a case- and accent-insensitive collation
 * (ICU's root collation at base strength: case, accents, width, ignorable characters, digits of any script).
 */
const legacyCollation = new Intl.Collator('und', { sensitivity: 'base' })

export async function startLegacySystem (): Promise<LegacySystem> {
  const users = new Map<string, LegacyUser>()
  const find = (email: unknown): LegacyUser | undefined => {
    if (typeof email !== 'string') return undefined
    for (const [name, user] of users) if (legacyCollation.compare(name, email) === 0 && user.deleted !== true) return user
    return undefined
  }
  const server = createServer((request, response) => {
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { text += chunk })
    request.on('end', () => {
      const body = JSON.parse(text || '{}') as Record<string, unknown>
      const answer = (status: number, value: unknown): void => { response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value)) }
      if (request.url === '/login') {
        const user = find(body.email)
        if (user === undefined || user.password !== body.password) answer(401, { error: 'bad credentials' })
        else answer(200, { user: { id: user.id, roles: user.roles } })
        return
      }
      const user = [...users.values()].find((candidate) => candidate.id === body.id && candidate.deleted !== true)
      if (user === undefined) answer(404, { error: 'no such user' })
      else answer(200, { user: { id: user.id, roles: user.roles } })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    users,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) })
  }
}

/** The gateway's `users` section for `legacy`: login, lookup (rechecked at every refresh), the usual map. */
export function legacyUsersConfig (legacy: LegacySystem): Record<string, unknown> {
  return { source: 'upstream', url: `${legacy.url}/login`, lookupUrl: `${legacy.url}/lookup`, recheckInterval: 0, map: { id: 'user.id', roles: 'user.roles' } }
}
