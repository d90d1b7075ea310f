import t from 'tap'
import { createRevocationList, REVOCATION_PAGE_SIZE } from '../src/revocation/list.js'
import type { RevocationSource } from '../src/tokens/index.js'

const RETENTION = 930_000

interface Recorder extends RevocationSource {
  revoked: Array<{ id: string, revokedAt: Date }>
  calls: Date[]
  fail: boolean
}

function recorder (): Recorder {
  const source: Recorder = {
    revoked: [],
    calls: [],
    fail: false,
    async listRevokedSince (since, limit = Number.POSITIVE_INFINITY) {
      source.calls.push(since)
      if (source.fail) throw new Error('store down')
      return source.revoked.filter((entry) => entry.revokedAt >= since)
        .sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime()).slice(0, limit)
    }
  }
  return source
}

function clock (start = 1_700_000_000_000): { now: () => number, advance: (ms: number) => void } {
  let time = start
  return { now: () => time, advance: (ms) => { time += ms } }
}

t.test('polling picks up revocations, asking from the newest seen minus the overlap', async (t) => {
  const source = recorder()
  const time = clock()
  const list = createRevocationList({ source, retentionMs: RETENTION, overlapMs: 10_000, now: time.now })
  source.revoked.push({ id: 's1', revokedAt: new Date(time.now() - 60_000) })
  await list.poll()
  t.equal(source.calls[0]?.getTime(), time.now() - RETENTION, 'first poll covers the whole retention window')
  t.ok(list.isRevoked('s1'))
  t.notOk(list.isRevoked('s2'))
  t.equal(list.lastSyncAt, time.now())

  time.advance(5000)
  source.revoked.push({ id: 's2', revokedAt: new Date(time.now() - 1000) })
  await list.poll()
  t.equal(source.calls[1]?.getTime(), time.now() - 5000 - 60_000 - 10_000, 'then from the newest seen minus the overlap')
  t.ok(list.isRevoked('s2'))
  t.equal(list.size, 2)
  await list.poll()
  t.equal(source.calls[2]?.getTime(), time.now() - 1000 - 10_000)
  t.equal(list.size, 2, 're-reading the overlap adds nothing twice')

  list.add('local')
  t.ok(list.isRevoked('local'), 'a local revocation takes effect at once')
  list.add('ancient', new Date(time.now() - RETENTION - 1))
  t.notOk(list.isRevoked('ancient'), 'a revocation older than the retention is not kept')
})

t.test('retention prunes entries once no token of theirs can be valid', async (t) => {
  const source = recorder()
  const time = clock()
  const list = createRevocationList({ source, retentionMs: RETENTION, now: time.now })
  list.add('early')
  time.advance(60_000)
  list.add('late')
  source.revoked.push({ id: 'out-of-order', revokedAt: new Date(time.now() - 30_000) })
  await list.poll()
  t.equal(list.size, 3)
  time.advance(RETENTION - 60_000 + 1)
  await list.poll()
  t.notOk(list.isRevoked('early'), 'pruned after retention')
  t.ok(list.isRevoked('late'), 'still within retention')
  t.ok(list.isRevoked('out-of-order'), 'an entry out of order is kept, never dropped early')
  time.advance(60_000)
  await list.poll()
  t.equal(list.size, 0, 'all pruned')
})

t.test('polling errors are logged and retried, never thrown; stale when fail-closed', async (t) => {
  const source = recorder()
  const time = clock()
  const warnings: Array<Record<string, unknown>> = []
  const list = createRevocationList({
    source, retentionMs: RETENTION, pollIntervalMs: 1000, failClosedAfterMs: 15_000, now: time.now,
    logger: { warn: (object) => { warnings.push(object) } }
  })
  t.equal(list.stale, false, 'not stale before start')
  source.fail = true
  await list.poll()
  t.equal(warnings.length, 1)
  t.equal(warnings[0]?.event, 'revocation_poll_failed')
  t.equal(list.lastSyncAt, undefined)
  list.start()
  t.teardown(() => { list.stop() })
  await list.poll()
  t.equal(warnings.length, 2, 'the first scheduled poll failed too, and was logged')
  t.equal(list.stale, false, 'within the budget')
  time.advance(15_001)
  t.equal(list.stale, true, 'no successful poll for longer than failClosedAfterMs')
  source.fail = false
  await list.poll()
  t.equal(list.stale, false, 'fresh again after a successful poll')
  const neverStale = createRevocationList({ source, retentionMs: RETENTION, now: time.now })
  neverStale.start()
  neverStale.stop()
  t.equal(neverStale.stale, false, 'no failClosedAfterMs: never stale')
})

t.test('start polls at once and then on an unref()ed timer; stop ends it', async (t) => {
  const source = recorder()
  const list = createRevocationList({ source, retentionMs: RETENTION, pollIntervalMs: 20 })
  list.start()
  list.start()
  t.teardown(() => { list.stop() })
  await new Promise((resolve) => setTimeout(resolve, 250))
  const calls = source.calls.length
  // One chain polls about 12 times in 250 ms; two racing chains (start called twice) would poll about 24 times.
  t.ok(calls >= 3 && calls <= 16, `polled ${calls} times in 250 ms at 20 ms, one chain only`)
  list.stop()
  await new Promise((resolve) => setTimeout(resolve, 80))
  const after = source.calls.length
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.equal(source.calls.length, after, 'no poll after stop')
  t.throws(() => createRevocationList({ source, retentionMs: 0 }), /retentionMs/)
  t.throws(() => createRevocationList({ source, retentionMs: RETENTION, pollIntervalMs: 0 }), /pollIntervalMs/)
})

// Holding 100 000 entries: correctness of load, lookup and prune at that size, and a memory bound (a fact about the
// data structure, not the machine). Lookup speed at this size is measured by the gateway-auth-revocation benchmark.
t.test('100 000 entries: held, looked up and pruned', async (t) => {
  const source = recorder()
  const time = clock()
  const base = time.now()
  for (let i = 0; i < 100_000; i++) source.revoked.push({ id: `session-${i.toString(36)}-${'x'.repeat(12)}`, revokedAt: new Date(base - 100_000 + i) })
  const list = createRevocationList({ source, retentionMs: RETENTION, now: time.now })
  global.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  await list.poll()
  t.equal(list.size, 100_000)
  const heapDelta = process.memoryUsage().heapUsed - heapBefore
  t.ok(heapDelta < 40 * 1024 * 1024, `heap grew ${(heapDelta / 1048576).toFixed(1)} MiB`)
  let hits = 0
  for (let i = 0; i < 100_000; i++) if (list.isRevoked(`session-${i.toString(36)}-${'x'.repeat(12)}`)) hits++
  for (let i = 0; i < 100_000; i++) if (list.isRevoked(`other-${i}`)) hits++
  t.equal(hits, 100_000)
  source.revoked.length = 0
  time.advance(RETENTION)
  await list.poll()
  t.equal(list.size, 0)
})

// Found by the gateway-auth-revocation benchmark: asking for a whole window of 100 000 revocations in one query
// exceeded the store's time budget on FerretDB on every retry, so the list stayed empty and revoked sessions were
// accepted (failing open). The store here refuses any query for more than one page, as a too-slow query would.
t.test('a large window is read in pages, each within the store budget', async (t) => {
  const source = recorder()
  const budgeted: RevocationSource = {
    async listRevokedSince (since, limit) {
      if (limit === undefined || limit > REVOCATION_PAGE_SIZE) throw new Error('operation exceeded time limit')
      return source.listRevokedSince(since, limit)
    }
  }
  const time = clock()
  const base = time.now() - 200_000
  const total = Math.floor(REVOCATION_PAGE_SIZE * 2.5)
  for (let i = 0; i < total; i++) source.revoked.push({ id: `s${i}`, revokedAt: new Date(base + i) })
  const list = createRevocationList({ source: budgeted, retentionMs: RETENTION, now: time.now })
  await list.poll()
  t.equal(list.size, total, 'every revocation of the window is held (three pages)')
  t.ok(list.isRevoked('s0') && list.isRevoked(`s${total - 1}`), 'the first and the last are both known')
  t.ok(list.lastSyncAt !== undefined, 'the poll counts as a successful sync')
})

t.test('a page that fails keeps the progress of the pages before it', async (t) => {
  const source = recorder()
  let calls = 0
  const flaky: RevocationSource = {
    async listRevokedSince (since, limit) {
      calls++
      if (calls === 3) throw new Error('store hiccup')
      return source.listRevokedSince(since, limit)
    }
  }
  const time = clock()
  const base = time.now() - 500_000
  const total = REVOCATION_PAGE_SIZE * 3
  for (let i = 0; i < total; i++) source.revoked.push({ id: `s${i}`, revokedAt: new Date(base + i) })
  const list = createRevocationList({ source: flaky, retentionMs: RETENTION, overlapMs: 1000, now: time.now })
  await list.poll()
  // Pages overlap by one entry (the next starts at the last time seen), so two pages cover s0 … s(2·PAGE − 2).
  const lastOfPageTwo = 2 * REVOCATION_PAGE_SIZE - 2
  t.ok(list.isRevoked('s0') && list.isRevoked(`s${lastOfPageTwo}`), 'the two pages read before the failure are held')
  t.notOk(list.isRevoked(`s${total - 1}`), 'the page after the failure is not (yet)')
  source.calls.length = 0
  await list.poll()
  t.equal(list.size, total, 'the next poll completes the window')
  t.equal(source.calls[0]?.getTime(), base + lastOfPageTwo - 1000, 'and resumes from the newest seen minus the overlap, not from the start of the window')
})

t.test('onRevoked: each newly known session id once, from polls and local revocations; a throwing listener harms nobody', async (t) => {
  const source = recorder()
  const time = clock()
  const warnings: string[] = []
  const list = createRevocationList({ source, retentionMs: RETENTION, now: time.now, logger: { warn: (_object, message) => { warnings.push(message) } } })
  const told: string[] = []
  list.onRevoked((sid) => { throw new Error(`listener for ${sid} failed`) })
  const unsubscribe = list.onRevoked((sid) => { told.push(sid) })
  source.revoked.push({ id: 's1', revokedAt: new Date(time.now() - 1000) }, { id: 's2', revokedAt: new Date(time.now() - 500) })
  await list.poll()
  t.same(told, ['s1', 's2'], 'a poll tells each revoked id')
  await list.poll()
  t.same(told, ['s1', 's2'], 'an id already known is not told again')
  list.add('s3')
  list.add('s1')
  t.same(told, ['s1', 's2', 's3'], 'a local revocation is told at once, a repeated one not')
  t.equal(warnings.length, 3, 'the throwing listener is logged for each id, and the others still hear')
  source.revoked.push({ id: 'expired', revokedAt: new Date(time.now() - RETENTION - 1) })
  await list.poll()
  t.same(told, ['s1', 's2', 's3'], 'a revocation older than any token it could concern is not told')
  unsubscribe()
  list.add('s4')
  t.same(told, ['s1', 's2', 's3'], 'unsubscribed')
})
