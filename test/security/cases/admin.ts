// The admin API (issue #15 item 3), appended to section D (cases/login.ts): object references of other users (IDOR)
// without the role, a token whose admin claim the store no longer backs, escalation through PATCH, self-lockout,
// and bad ids, cursors, queries and bodies (400/404, never 500), against a gateway of lib/target.ts.
import { generateKey } from '@authgate/fastify/tokens'
import { MemorySessionStore } from '@authgate/fastify'
import type { AttackCase, Outcome } from '../lib/case.js'
import { settled, startExternalIssuer } from '../lib/external-issuer.js'
import { AUDIENCE, ISSUER, PASSWORD, type AttackTarget } from '../lib/target.js'

interface Setup { gateway: AttackTarget, store: MemorySessionStore, admin: Signed, victim: Signed }
interface Signed { token: string, id: string }

/** A gateway on its own store with one admin and one ordinary user. */
async function setup (target: AttackTarget, tag: string, adminRoles = ['admin'], adminConfig?: { roles: string[], grantableRoles?: string[] }): Promise<Setup> {
  const store = new MemorySessionStore()
  const gateway = await target.fresh({ store, config: { auth: { registration: true }, ...(adminConfig === undefined ? {} : { admin: adminConfig }) } })
  const first = await gateway.login(`${tag}-admin@example.test`)
  await store.setUserRoles(first.userId, adminRoles)
  const admin = await gateway.login(`${tag}-admin@example.test`)
  const victim = await gateway.login(`${tag}-victim@example.test`)
  return { gateway, store, admin: { token: admin.accessToken, id: admin.userId }, victim: { token: victim.accessToken, id: victim.userId } }
}

function send (gateway: AttackTarget, method: string, path: string, token: string, body?: string): Promise<Outcome> {
  return gateway.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body })
  })
}

/** Fails the case (status -1) when the victim's stored roles or disabled state changed. */
async function untouched (store: MemorySessionStore, id: string, outcome: Outcome): Promise<Outcome> {
  const user = await store.findUserById(id)
  const same = user !== null && user.roles.join() === 'user' && user.disabled !== true
  return same ? outcome : { ...outcome, status: -1, body: `the user was changed: ${JSON.stringify(user)}` }
}

export const adminCases: readonly AttackCase[] = [
  {
    id: 'D.80',
    name: 'an ordinary user reads, changes and deletes another user by id through the admin API (IDOR)',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, store, admin } = await setup(target, 'd80')
      const mallory = await gateway.login('d80-mallory@example.test')
      for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', '{"disabled":true}'], ['DELETE', '/sessions', undefined]] as const) {
        const outcome = await send(gateway, method, `/auth/admin/users/${admin.id}${suffix}`, mallory.accessToken, body)
        if (outcome.status !== 403) return outcome
      }
      const last = await send(gateway, 'DELETE', `/auth/admin/users/${admin.id}`, mallory.accessToken)
      return (await store.findUserById(admin.id)) === null ? { ...last, status: -1, body: 'the admin was deleted' } : last
    },
    also: 'GET, PATCH, DELETE …/sessions and DELETE all refused alike; the admin still exists'
  },
  {
    id: 'D.81',
    name: 'an ordinary user PATCHes their own id to `{"roles":["admin"]}` (self-promotion)',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, store, victim } = await setup(target, 'd81')
      return untouched(store, victim.id, await send(gateway, 'PATCH', `/auth/admin/users/${victim.id}`, victim.token, '{"roles":["admin"]}'))
    },
    also: 'the user\'s stored roles are unchanged'
  },
  {
    id: 'D.82',
    name: 'a validly signed token claiming `admin` for a user whose stored roles no longer hold it (demoted admin)',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, store, admin, victim } = await setup(target, 'd82')
      await store.setUserRoles(admin.id, ['user'])
      return untouched(store, victim.id, await send(gateway, 'PATCH', `/auth/admin/users/${victim.id}`, admin.token, '{"disabled":true}'))
    },
    also: 'the admin role is read again from the store at each request; the victim is unchanged'
  },
  {
    id: 'D.83',
    name: 'with `admin.roles: [admin, superadmin]` and `grantableRoles: [user, superadmin]`, an `admin` grants `superadmin` to a user and to themselves',
    expect: { status: 403, code: 'AUTH_ADMIN_ESCALATION', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, store, admin, victim } = await setup(target, 'd83', ['admin'], { roles: ['admin', 'superadmin'], grantableRoles: ['user', 'superadmin'] })
      const self = await send(gateway, 'PATCH', `/auth/admin/users/${admin.id}`, admin.token, '{"roles":["admin","superadmin"]}')
      if (self.status !== 403 || (await store.findUserById(admin.id))?.roles.includes('superadmin') === true) return { ...self, status: -1, body: `self-grant: ${self.status} ${self.body}` }
      return untouched(store, victim.id, await send(gateway, 'PATCH', `/auth/admin/users/${victim.id}`, admin.token, '{"roles":["user","superadmin"]}'))
    },
    also: 'an admin role is grantable only by its holders, whatever grantableRoles lists; nothing written'
  },
  {
    id: 'D.84',
    name: 'with `admin.roles: [admin, superadmin]`, an `admin` disables a `superadmin`',
    expect: { status: 403, code: 'AUTH_ADMIN_ESCALATION', upstream: 'n/a' },
    attack: async (target) => {
      const store = new MemorySessionStore()
      const gateway = await target.fresh({ store, config: { auth: { registration: true }, admin: { roles: ['admin', 'superadmin'] } } })
      const boss = await gateway.login('d84-boss@example.test')
      await store.setUserRoles(boss.userId, ['superadmin'])
      const first = await gateway.login('d84-admin@example.test')
      await store.setUserRoles(first.userId, ['admin'])
      const admin = await gateway.login('d84-admin@example.test')
      const outcome = await send(gateway, 'PATCH', `/auth/admin/users/${boss.userId}`, admin.accessToken, '{"disabled":true}')
      return (await store.findUserById(boss.userId))?.disabled === true ? { ...outcome, status: -1, body: 'the superadmin was disabled' } : outcome
    },
    also: 'the superadmin stays enabled'
  },
  {
    id: 'D.85',
    name: 'an admin disables themselves (self-lockout)',
    expect: { status: 409, code: 'AUTH_ADMIN_SELF_LOCKOUT', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, admin } = await setup(target, 'd85')
      return send(gateway, 'PATCH', `/auth/admin/users/${admin.id}`, admin.token, '{"disabled":true}')
    }
  },
  {
    id: 'D.86',
    name: 'PATCH bodies: `{"disabled":"false"}`, `{"roles":"admin"}`, `{"roles":["user"],"passwordHash":"x"}`, `{"__proto__":{"disabled":true}}`, `[]`, `{}`',
    expect: { status: 400, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, store, admin, victim } = await setup(target, 'd86')
      let outcome: Outcome | undefined
      for (const body of ['{"disabled":"false"}', '{"roles":"admin"}', '{"roles":["user"],"passwordHash":"x"}', '{"__proto__":{"disabled":true}}', '[]', '{}']) {
        outcome = await send(gateway, 'PATCH', `/auth/admin/users/${victim.id}`, admin.token, body)
        if (outcome.status !== 400) return outcome
      }
      return untouched(store, victim.id, outcome as Outcome)
    },
    also: 'each refused before any write; the user is unchanged'
  },
  {
    id: 'D.87',
    name: 'ids that are no user: `{"$ne":null}`, `__proto__`, `constructor`, `$where` (a NUL or an encoded `/` is refused at the edge)',
    expect: { status: 404, code: 'AUTH_NOT_FOUND', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, admin } = await setup(target, 'd87')
      let outcome: Outcome | undefined
      for (const id of [encodeURIComponent('{"$ne":null}'), '__proto__', 'constructor', '%24where']) {
        outcome = await send(gateway, 'GET', `/auth/admin/users/${id}`, admin.token)
        if (outcome.status !== 404) return outcome
      }
      return outcome as Outcome
    }
  },
  {
    id: 'D.88',
    name: 'user-list cursors that are not the server\'s (garbage, forged JSON, negative time), a 300-character query, and queries holding NUL or another control character',
    expect: { status: 400, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, admin } = await setup(target, 'd88')
      let outcome: Outcome | undefined
      const forged = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
      for (const query of ['cursor=!!', `cursor=${forged({ $gt: '' })}`, `cursor=${forged([-1, 'x'])}`, `cursor=${'A'.repeat(600)}`, `query=${'a'.repeat(300)}`, 'query=%00', 'query=d88%00x', 'query=%1F']) {
        outcome = await send(gateway, 'GET', `/auth/admin/users?${query}`, admin.token)
        if (outcome.status !== 400) return outcome
      }
      return outcome as Outcome
    }
  },
  {
    id: 'D.89',
    name: 'a user-list query of pattern characters (`.*`, `(a+)+$`) to match every email or make the database backtrack',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, admin } = await setup(target, 'd89')
      let outcome: Outcome | undefined
      for (const query of ['.*', '(a+)+$', '^']) {
        outcome = await send(gateway, 'GET', `/auth/admin/users?query=${encodeURIComponent(query)}`, admin.token)
        const users = outcome.status === 200 ? (JSON.parse(outcome.body) as { users: unknown[] }).users : []
        if (outcome.status !== 200 || users.length > 0) return { ...outcome, status: -1, body: `${query}: ${outcome.body}` }
      }
      return outcome as Outcome
    },
    also: 'each matches no user: the query is text, never a pattern'
  },
  {
    id: 'D.90',
    name: 'a disabled user\'s correct password (and a wrong one, to tell the account apart)',
    expect: { status: 403, code: 'AUTH_USER_DISABLED', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, admin, victim } = await setup(target, 'd90')
      const disabled = await send(gateway, 'PATCH', `/auth/admin/users/${victim.id}`, admin.token, '{"disabled":true}')
      if (disabled.status !== 200) return disabled
      const wrong = await gateway.request('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'd90-victim@example.test', password: 'not the password at all' }) })
      if (wrong.status !== 401 || wrong.code !== 'AUTH_INVALID_CREDENTIALS') return { ...wrong, status: -1, body: `a wrong password answered ${wrong.status}: it must not reveal the disable` }
      return gateway.request('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'd90-victim@example.test', password: PASSWORD }) })
    },
    also: 'a wrong password still answers 401 AUTH_INVALID_CREDENTIALS: the disable shows only to who knows the password'
  },
  {
    id: 'D.91',
    name: 'a trusted issuer\'s token claiming `roles: [admin]` whose `sub` is a stored admin\'s id (its mapped claims carry `sid: ""`)',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'n/a' },
    attack: async (target) => {
      const idp = await startExternalIssuer({ teardown: target.teardown }, { path: '/realms/d91' })
      idp.addKey('RS256')
      const store = new MemorySessionStore()
      const gateway = await target.fresh({
        store,
        config: {
          auth: { registration: true },
          tokens: {
            keys: [generateKey('EdDSA', 'security-d91')], issuer: ISSUER, audience: AUDIENCE,
            trustedIssuers: [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: AUDIENCE, algorithms: ['RS256'], claims: { roles: 'groups' } }]
          }
        }
      })
      const admin = await gateway.login('d91-admin@example.test')
      await store.setUserRoles(admin.userId, ['admin'])
      const token = await idp.sign({ sub: admin.userId, groups: ['admin'] })
      return settled(() => send(gateway, 'GET', '/auth/admin/users', token))
    },
    also: 'another issuer\'s user is never one of ours, whatever its sub and roles: only our own sessions act as admins'
  },
  {
    id: 'D.92',
    name: 'an ordinary user reads the audit trail, their own rows or another user\'s (GET /auth/admin/audit)',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, admin, victim } = await setup(target, 'd92')
      for (const query of ['', `?userId=${victim.id}`, `?userId=${admin.id}&type=login`]) {
        const outcome = await send(gateway, 'GET', `/auth/admin/audit${query}`, victim.token)
        if (outcome.status !== 403) return outcome
      }
      return send(gateway, 'GET', '/auth/admin/audit?type=adminAction', victim.token)
    },
    also: 'who logged in from where is for admins only: every filter refused alike'
  },
  {
    id: 'D.93',
    name: 'an admin pages the audit trail with forged cursors, huge limits and odd filters',
    expect: { status: 400, code: 'AUTH_BAD_REQUEST', upstream: 'n/a' },
    attack: async (target) => {
      const { gateway, admin } = await setup(target, 'd93')
      const forged = Buffer.from('99999999999999.../../etc', 'utf8').toString('base64url')
      for (const query of [`cursor=${forged}`, 'cursor=%00', 'limit=100000', 'limit=-1', 'type=%24where', `userId=${'a'.repeat(5000)}`]) {
        const outcome = await send(gateway, 'GET', `/auth/admin/audit?${query}`, admin.token)
        if (outcome.status !== 400 || outcome.code !== 'AUTH_BAD_REQUEST') return { ...outcome, body: `${query}: ${outcome.body}` }
      }
      return send(gateway, 'GET', '/auth/admin/audit?cursor=bm90LWEtY3Vyc29y', admin.token)
    },
    also: 'every one a 400 naming the problem, never a 500 or a store query with the raw text'
  }
]
