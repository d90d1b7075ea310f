// New-IP notifications (issue #15 item 2), appended to section D (cases/login.ts): the address is request.ip, which
// reads X-Forwarded-For only from a trusted proxy, so a client cannot fake a flood of new networks (D.70); and behind
// a trusted proxy, where every address is believed, one user's remembered networks stay bounded (D.71).
import { DEFAULT_MAX_NETWORKS } from '@authgate/fastify/stores'
import { MemorySessionStore, type NewIpEvent } from '@authgate/fastify'
import type { AttackCase, Outcome } from '../lib/case.js'
import type { AttackTarget } from '../lib/target.js'

const ROTATIONS = 25

function unless (outcome: Outcome, problem: string | undefined): Outcome {
  return problem === undefined ? outcome : { ...outcome, status: -1, body: `${problem}: ${outcome.body}` }
}

/** Refreshes `rotations` times, each with `spoof(index)` headers; the last answer, or the first that is not 200. */
async function rotate (gateway: AttackTarget, refreshToken: string, rotations: number, spoof: (index: number) => Record<string, string>): Promise<Outcome> {
  let cookie = `authgate_rt=${refreshToken}`
  let outcome: Outcome | undefined
  for (let index = 0; index < rotations; index++) {
    outcome = await gateway.request('/auth/refresh', { method: 'POST', headers: { cookie, ...spoof(index) } })
    if (outcome.status !== 200) return outcome
    const line = [outcome.headers['set-cookie'] ?? []].flat().find((value) => value.startsWith('authgate_rt=')) ?? ''
    cookie = line.slice(0, line.indexOf(';'))
  }
  return outcome as Outcome
}

/** The watch runs after the answers: waits until the store has seen the last address (bounded). */
async function settled (store: MemorySessionStore, userId: string, lastIp: string): Promise<void> {
  const deadline = Date.now() + 3000
  while (Date.now() < deadline && (await store.findNetworks(userId))?.lastIp !== lastIp) await new Promise((resolve) => setTimeout(resolve, 20))
}

export const newIpCases: readonly AttackCase[] = [
  {
    id: 'D.70',
    name: `no \`trustProxy\`: ${ROTATIONS} refreshes, each with another forged \`X-Forwarded-For\`, \`Forwarded\` and \`X-Real-IP\``,
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const store = new MemorySessionStore()
      const gateway = await target.fresh({ store })
      const events: NewIpEvent[] = []
      gateway.app.authgate.events.on('newIp', (event) => { events.push(event) })
      const { refreshToken, userId } = await gateway.login('d70@example.test')
      const outcome = await rotate(gateway, refreshToken, ROTATIONS, (index) => ({
        'x-forwarded-for': `198.51.${index}.7`, forwarded: `for=203.0.${index}.9`, 'x-real-ip': `192.0.${index}.1`
      }))
      await settled(store, userId, '127.0.0.1')
      const networks = (await store.findNetworks(userId))?.networks.map((entry) => entry.network) ?? []
      if (events.length > 0) return unless(outcome, `${events.length} newIp events from forged headers`)
      return unless(outcome, networks.length === 1 && networks[0] === '127.0.0.0/24' ? undefined : `remembered networks: ${networks.join(', ')}`)
    },
    also: 'no `newIp` event; the user\'s remembered networks are the socket\'s one (127.0.0.0/24)'
  },
  {
    id: 'D.71',
    name: `behind \`trustProxy\`: one session refreshed from ${DEFAULT_MAX_NETWORKS * 2 + 10} different networks`,
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const store = new MemorySessionStore()
      const gateway = await target.fresh({ store, config: { server: { trustProxy: true } } })
      const { refreshToken, userId } = await gateway.login('d71@example.test')
      const rotations = DEFAULT_MAX_NETWORKS * 2 + 10
      const outcome = await rotate(gateway, refreshToken, rotations, (index) => ({ 'x-forwarded-for': `10.${index}.0.1` }))
      await settled(store, userId, `10.${rotations - 1}.0.1`)
      const count = (await store.findNetworks(userId))?.networks.length ?? 0
      return unless(outcome, count === DEFAULT_MAX_NETWORKS ? undefined : `${count} networks remembered for one user`)
    },
    also: `every refresh answers; the user's remembered networks stop at ${DEFAULT_MAX_NETWORKS} (the least recently seen evicted)`
  }
]
