// Subject revocations (tokens/subject-revocation.ts) in the revocation list: carried as tombstones of their own id form by
// the same poll as session ids, issuer-qualified, cut off by iat, never applied to tokens that have a session, kept
// for the subject retention (not the own-token one), and read back that far by a starting instance.
import t from 'tap'
import { REVOCATION_PAGE_SIZE, SUBJECT_ENTRIES_WARN_AT, createRevocationList } from '../src/revocation/list.js'
import { issuedBefore, parseSubjectRevocationId, subjectKey, subjectRevocationId } from '../src/tokens/subject-revocation.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { RevocationSource } from '../src/tokens/index.js'

const RETENTION = 930_000
const SUBJECT_RETENTION = 86_430_000
const IDP = 'https://idp.example/realms/main'
const OTHER_IDP = 'https://idp.example/realms/main-b'

function source (revoked: Array<{ id: string, revokedAt: Date }>, calls: Date[] = []): RevocationSource {
  return {
    async listRevokedSince (since, limit = Number.POSITIVE_INFINITY) {
      calls.push(since)
      return revoked.filter((entry) => entry.revokedAt >= since).sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime()).slice(0, limit)
    }
  }
}

function claims (iss: string, sub: string, iatMs: number, sid = ''): { iss: string, sub: string, sid: string, iat: number } {
  return { iss, sub, sid, iat: Math.floor(iatMs / 1000) }
}

t.test('ids: a subject id parses back to its key; session ids and look-alikes do not', async (t) => {
  const id = subjectRevocationId(IDP, 'alice', new Date(1_700_000_000_123))
  t.equal(parseSubjectRevocationId(id), subjectKey(IDP, 'alice'))
  t.equal(id, subjectRevocationId(IDP, 'alice', new Date(1_700_000_000_123)), 'deterministic: a retry writes the same tombstone')
  t.equal(id, subjectRevocationId(IDP, 'alice', new Date(1_700_000_000_999)), 'one id per second: repeated logout-alls collide')
  t.not(id, subjectRevocationId(IDP, 'alice', new Date(1_700_000_001_000)), 'the next second is a new tombstone')
  t.not(subjectKey(IDP, 'alice'), subjectKey(OTHER_IDP, 'alice'), 'the same sub at two issuers: two keys')
  t.not(subjectKey('a', 'b\u0000c'), subjectKey('a\u0000b', 'c'), 'the separator cannot be forged by moving it')
  for (const other of ['AbCdEfGhIjKlMnOpQrStUv', 'subject:', 'subject:short:1', `subject:${'x'.repeat(43)}1`, `subject:${'*'.repeat(43)}:1`]) {
    t.equal(parseSubjectRevocationId(other), undefined, `${other} is not a subject revocation`)
  }
  t.ok(issuedBefore(100, 100_999), 'a token of the revocation\'s second is revoked (fail closed)')
  t.notOk(issuedBefore(101, 100_999), 'one of the next second is not')
})

t.test('the list: polled subject revocations refuse that user\'s external tokens issued before, nobody else\'s', async (t) => {
  const now = 1_700_000_000_000
  const revoked = [{ id: subjectRevocationId(IDP, 'alice', new Date(now - 5000)), revokedAt: new Date(now - 5000) }]
  const calls: Date[] = []
  const list = createRevocationList({ source: source(revoked, calls), retentionMs: RETENTION, subjectRetentionMs: SUBJECT_RETENTION, now: () => now })
  await list.poll()
  t.equal(calls[0]?.getTime(), now - RETENTION, 'the poll itself reads back the session window only')
  t.equal(calls[1]?.getTime(), now - SUBJECT_RETENTION, 'then the subject backfill reads back the subject retention')
  t.ok(list.isSubjectRevoked(claims(IDP, 'alice', now - 60_000)), 'issued before: revoked')
  t.notOk(list.isSubjectRevoked(claims(IDP, 'alice', now - 3000)), 'issued after: valid')
  t.notOk(list.isSubjectRevoked(claims(OTHER_IDP, 'alice', now - 60_000)), 'the same sub at another issuer: valid')
  t.notOk(list.isSubjectRevoked(claims(IDP, 'bob', now - 60_000)), 'another user: valid')
  t.notOk(list.isSubjectRevoked(claims(IDP, 'alice', now - 60_000, 'a-session')), 'a token with a session is never judged by subject')
  t.notOk(list.isRevoked(revoked[0]!.id), 'not a session id either')
})

t.test('the list: a later revocation moves the cut-off; listeners hear each; entries live the subject retention', async (t) => {
  let now = 1_700_000_000_000
  const revoked: Array<{ id: string, revokedAt: Date }> = []
  const list = createRevocationList({ source: source(revoked), retentionMs: RETENTION, subjectRetentionMs: SUBJECT_RETENTION, now: () => now })
  const heard: Array<[string, number]> = []
  list.onSubjectRevoked((key, at) => { heard.push([key, at]) })
  list.addSubject(IDP, 'alice', new Date(now))
  const early = claims(IDP, 'alice', now - 1000)
  t.ok(list.isSubjectRevoked(early), 'a local revocation takes effect at once')
  t.ok(list.isSubjectRevoked(early), 'and again (memoised key)')
  now += 10_000
  const between = claims(IDP, 'alice', now - 2000)
  t.notOk(list.isSubjectRevoked(between))
  revoked.push({ id: subjectRevocationId(IDP, 'alice', new Date(now)), revokedAt: new Date(now) })
  await list.poll()
  t.ok(list.isSubjectRevoked(between), 'the second logout-all covers the token issued between the two')
  await list.poll()
  t.same(heard.map(([key]) => key), [subjectKey(IDP, 'alice'), subjectKey(IDP, 'alice')], 'each revocation heard once')
  now += RETENTION + 1000
  await list.poll()
  t.ok(list.isSubjectRevoked(between), 'kept past the own-token retention')
  now += SUBJECT_RETENTION
  await list.poll()
  t.notOk(list.isSubjectRevoked(between), 'dropped after the subject retention')
  t.equal(list.size, 0)
})

t.test('memory store: revokeSubject is listed as a tombstone from its time on, idempotently', async (t) => {
  const store = new MemorySessionStore()
  const at = new Date(1_700_000_000_000)
  await store.revokeSubject(IDP, 'alice', at)
  await store.revokeSubject(IDP, 'alice', at)
  t.same(await store.listRevokedSince(new Date(at.getTime() - 1)), [{ id: subjectRevocationId(IDP, 'alice', at), revokedAt: at }])
  t.same(await store.listRevokedSince(new Date(at.getTime() + 1)), [])
  // Concurrent logout-alls of one token within a second: one tombstone, not one each.
  await Promise.all(Array.from({ length: 10 }, (_, index) => store.revokeSubject(IDP, 'bob', new Date(at.getTime() + 2000 + index * 50))))
  t.equal((await store.listRevokedSince(new Date(at.getTime() + 1000))).length, 1, 'one tombstone per user and second')
})

t.test('a starting list knows a recent session revocation after its first page, before the subject backfill', async (t) => {
  const now = 1_700_000_000_000
  // A day of session tombstones (more than a page) older than the session window, one recent, and an old subject one.
  const revoked: Array<{ id: string, revokedAt: Date }> = []
  for (let index = 0; index < REVOCATION_PAGE_SIZE + 10; index++) revoked.push({ id: `old${index}`, revokedAt: new Date(now - SUBJECT_RETENTION + 1000 + index) })
  revoked.push({ id: 'recent', revokedAt: new Date(now - 60_000) })
  const subjectAt = new Date(now - 20 * 3_600_000)
  revoked.push({ id: subjectRevocationId(IDP, 'alice', subjectAt), revokedAt: subjectAt })
  const calls: Date[] = []
  const base = source(revoked, calls)
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const subjectCalls: Date[] = []
  const held: RevocationSource = {
    listRevokedSince: async (since, limit) => base.listRevokedSince(since, limit),
    async listSubjectRevokedSince (since, limit) {
      subjectCalls.push(since)
      await gate
      return source(revoked.filter((entry) => entry.id.startsWith('subject:'))).listRevokedSince(since, limit)
    }
  }
  const list = createRevocationList({ source: held, retentionMs: RETENTION, subjectRetentionMs: SUBJECT_RETENTION, now: () => now, pollIntervalMs: 60_000 })
  list.start()
  t.teardown(() => { list.stop() })
  t.ok(list.subjectsPending, 'tokens without a session wait until the subjects are read back')
  const polled = list.poll()
  for (let tick = 0; tick < 50 && subjectCalls.length === 0; tick++) await new Promise((resolve) => setImmediate(resolve))
  t.ok(list.isRevoked('recent'), 'the recent session revocation is known after the first page')
  t.equal(calls.length, 1, 'one page of the session window, not a day of pages')
  t.notOk(list.isRevoked('old0'), 'old session tombstones are not read by the poll')
  t.ok(list.subjectsPending, 'still pending while the backfill runs')
  t.notOk(list.isSubjectRevoked(claims(IDP, 'alice', now - 21 * 3_600_000)))
  release()
  await polled
  t.equal(subjectCalls[0]?.getTime(), now - SUBJECT_RETENTION)
  t.notOk(list.subjectsPending, 'done')
  t.ok(list.isSubjectRevoked(claims(IDP, 'alice', now - 21 * 3_600_000)), 'a subject revocation older than the session window is known')
  t.notOk(list.isSubjectRevoked(claims(IDP, 'alice', now - 19 * 3_600_000)), 'tokens issued after it pass')
})

t.test('without a subject-only query the backfill pages through every tombstone, and a failed page is retried', async (t) => {
  let now = 1_700_000_000_000
  const subjectAt = new Date(now - 10 * 3_600_000)
  const revoked = [{ id: subjectRevocationId(IDP, 'alice', subjectAt), revokedAt: subjectAt }]
  const base = source(revoked)
  let failBackfill = true
  const flaky: RevocationSource = {
    async listRevokedSince (since, limit) {
      if (since.getTime() < now - RETENTION && failBackfill) throw new Error('down')
      return base.listRevokedSince(since, limit)
    }
  }
  const list = createRevocationList({ source: flaky, retentionMs: RETENTION, subjectRetentionMs: SUBJECT_RETENTION, now: () => now, pollIntervalMs: 60_000 })
  list.start()
  t.teardown(() => { list.stop() })
  await list.poll()
  t.ok(list.subjectsPending, 'the backfill failed: still pending')
  t.ok(list.lastSyncAt !== undefined, 'the session poll itself succeeded')
  failBackfill = false
  now += 5000
  await list.poll()
  t.notOk(list.subjectsPending)
  t.ok(list.isSubjectRevoked(claims(IDP, 'alice', subjectAt.getTime() - 5000)))
  now += 5000
  await list.poll()
  t.notOk(list.subjectsPending, 'a quiet system does not start the backfill again')
})

t.test('subject entries expire in order and prune stops at the first live one; many entries warn once', async (t) => {
  let now = 1_700_000_000_000
  const warnings: string[] = []
  const list = createRevocationList({ source: source([]), retentionMs: RETENTION, subjectRetentionMs: SUBJECT_RETENTION, now: () => now, logger: { warn: (object) => { warnings.push(String(object.event)) } } })
  list.addSubject(IDP, 'alice', new Date(now))
  list.addSubject(IDP, 'bob', new Date(now + 1000))
  // A later revocation of alice moves her entry behind bob's: ordered by expiry.
  list.addSubject(IDP, 'alice', new Date(now + 2000))
  now += SUBJECT_RETENTION + 1500
  await list.poll()
  t.notOk(list.isSubjectRevoked(claims(IDP, 'bob', now - SUBJECT_RETENTION - 2000)), 'bob\'s entry expired')
  t.ok(list.isSubjectRevoked(claims(IDP, 'alice', now - SUBJECT_RETENTION - 2000)), 'alice\'s later one lives on')
  t.equal(list.size, 1)
  for (let index = 0; index <= SUBJECT_ENTRIES_WARN_AT + 1; index++) list.addSubject(IDP, `u${index}`, new Date(now))
  t.same(warnings.filter((event) => event === 'revocation_subjects_many'), ['revocation_subjects_many'], 'warned once')
})
