// Subject revocations (revocation-subjects.ts) in the revocation list: carried as tombstones of their own id form by
// the same poll as session ids, issuer-qualified, cut off by iat, never applied to tokens that have a session, kept
// for the subject retention (not the own-token one), and read back that far by a starting instance.
import t from 'tap'
import { createRevocationList } from '../src/revocation-list.js'
import { issuedBefore, parseSubjectRevocationId, subjectKey, subjectRevocationId } from '../src/revocation-subjects.js'
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
  t.equal(calls[0]?.getTime(), now - SUBJECT_RETENTION, 'a starting list reads back the subject retention, the longer one')
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
})
