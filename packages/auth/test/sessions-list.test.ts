// GET /auth/sessions paging (issue #11 item 16): a client that never asks for pages gets the whole list as before
// (up to the old cap of 1000), and a custom store written before `page` existed cannot make paging loop.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { SessionRecord } from '../src/stores/store.js'
import { bearer, buildApp, signIn, storeOf } from './helpers/app.js'

/** A store from before `page`: every call answers the whole list, and oldest first at that. */
class StoreBeforePaging extends MemorySessionStore {
  override async listUserSessions (userId: string, now: Date, idleSince: Date): Promise<SessionRecord[]> {
    return (await super.listUserSessions(userId, now, idleSince)).reverse()
  }
}

async function addSessions (app: FastifyInstance, userId: string, count: number): Promise<void> {
  const now = Date.now()
  for (let index = 0; index < count; index++) {
    const id = `extra-${String(index).padStart(4, '0')}`
    await storeOf(app).createSession({
      id, userId, familyId: id, tokenHash: id.padEnd(64, '0'), roles: [], email: null, device: null, ip: '127.0.0.1', userAgent: 'ua',
      createdAt: new Date(now - 60_000 - index * 1000), lastUsedAt: new Date(now), expiresAt: new Date(now + 86_400_000)
    })
  }
}

t.test('without limit: the whole list up to 1000, X-Next-Cursor beyond; limit pages at most 100', async (t) => {
  const app = await buildApp(t, 'memory')
  const { at, userId } = await signIn(app, 'many@example.com')
  await addSessions(app, userId, 1000)
  const first = await app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(at) })
  t.equal(first.statusCode, 200)
  t.equal(first.json<unknown[]>().length, 1000, 'the old cap, not a page of 50')
  const cursor = first.headers['x-next-cursor']
  t.type(cursor, 'string', 'the 1001st session is announced')
  t.equal(first.headers.link, `</auth/sessions?cursor=${String(cursor)}>; rel="next"`)
  const rest = await app.inject({ method: 'GET', url: `/auth/sessions?cursor=${String(cursor)}`, headers: bearer(at) })
  t.same(rest.json<Array<{ id: string }>>().map((session) => session.id), ['extra-0999'])
  t.equal(rest.headers['x-next-cursor'], undefined)
  const paged = await app.inject({ method: 'GET', url: '/auth/sessions?limit=100', headers: bearer(at) })
  t.equal(paged.json<unknown[]>().length, 100)
  t.match(paged.headers.link, /limit=100&cursor=/)
  t.equal((await app.inject({ method: 'GET', url: '/auth/sessions?limit=101', headers: bearer(at) })).statusCode, 400)
})

t.test('a store that ignores `page`: pages still end, each session once, newest first', async (t) => {
  const app = await buildApp(t, 'memory', { options: { store: new StoreBeforePaging() } })
  const { at, userId } = await signIn(app, 'old-store@example.com')
  await addSessions(app, userId, 6)
  const whole = await app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(at) })
  const expected = whole.json<Array<{ id: string }>>().map((session) => session.id)
  t.equal(expected.length, 7)
  t.equal(expected[6], 'extra-0005', 'newest first even though the store answers oldest first')
  const seen: string[] = []
  let query = '?limit=2'
  let pages = 0
  for (; pages < 20; pages++) {
    const page = await app.inject({ method: 'GET', url: `/auth/sessions${query}`, headers: bearer(at) })
    t.ok(page.json<unknown[]>().length <= 2, 'at most the limit')
    seen.push(...page.json<Array<{ id: string }>>().map((session) => session.id))
    const next = page.headers['x-next-cursor']
    if (typeof next !== 'string') break
    query = `?limit=2&cursor=${next}`
  }
  t.equal(pages, 3, 'four pages, then no cursor')
  t.same(seen, expected)
})
