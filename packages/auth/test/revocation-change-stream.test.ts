// Revocations by change stream (issue #6), behind the revocation list's one interface. The feed's logic (live
// delivery, slower safety polls, fallback to polling on any stream failure, reopen with a bounded backoff, resume
// tokens, stalls) runs against a fake watch source; detection and delivery run against the test database (FerretDB
// or a standalone server: polling), and the real watch() path against a replica set: MONGODB_URL when it names one,
// else mongo-java-server in replica-set mode on that leg of the test matrix (test/kit/mongo/replica-set.mjs).
import type { FastifyInstance } from 'fastify'
import { MongoClient, type Document } from 'mongodb'
import t, { type Test } from 'tap'
import {
  createChangeStreamFeed, detectRevocationTransport, transportOf, type ChangeStreamFeedOptions, type RevocationFeed, type RevocationStream,
  type RevocationWatchSource
} from '../src/revocation/change-stream.js'
import { createRevocationList, REVOCATION_SAFETY_POLL_FACTOR, type PollingRevocationList } from '../src/revocation/list.js'
import { changeStreamFeedFor, mongoWatchSource } from '../src/revocation/mongo-watch.js'
import { normaliseOptions, type AuthgateOptions } from '../src/options/normalise.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import { MongoSessionStore } from '../src/stores/mongo/session-store.js'
import { testKey } from './helpers/keys.js'
import type { RevocationSource } from '../src/tokens/index.js'
import { freshDatabaseName, useTestDatabase } from '@authgate/test-kit/database'
import { useReplicaSet } from '@authgate/test-kit/replica-set'
import { bearer, buildApp, signIn, sleep } from './helpers/app.js'

const RETENTION = 930_000
// The list ticks every half interval with a live feed and asks the feed for an answer every quarter interval.
const POLL_MS = 400

interface Recorder extends RevocationSource {
  revoked: Array<{ id: string, revokedAt: Date }>
  calls: number[]
  fail: boolean
}

function recorder (): Recorder {
  const source: Recorder = {
    revoked: [],
    calls: [],
    fail: false,
    async listRevokedSince (since, limit = Number.POSITIVE_INFINITY) {
      source.calls.push(Date.now())
      if (source.fail) throw new Error('store down')
      return source.revoked.filter((entry) => entry.revokedAt >= since).slice(0, limit)
    }
  }
  return source
}

/** A change stream that answers after maxAwaitTimeMS, or at once when a revocation is pushed or it is failed. */
class FakeStream implements RevocationStream {
  closed = false
  resumeToken: unknown = undefined
  failure: Error | undefined
  /** tryNext never answers (a server holding the socket open). */
  stalled = false
  readonly #queue: Array<{ id: string, revokedAt: Date }> = []
  #wake: (() => void) | undefined
  #answers = 0

  constructor (readonly index: number, readonly maxAwaitTimeMS: number, readonly startAfter: unknown) {}

  push (id: string): void {
    this.#queue.push({ id, revokedAt: new Date() })
    this.#wake?.()
  }

  fail (error: Error): void {
    this.failure = error
    this.#wake?.()
  }

  async tryNext (): Promise<{ id: string, revokedAt: Date } | null> {
    if (this.stalled) return new Promise(() => undefined)
    // The first answer (the aggregate that opens the stream) comes at once, as from a server; later ones wait.
    if (this.#answers > 0 && this.failure === undefined && !this.closed && this.#queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.maxAwaitTimeMS)
        this.#wake = () => { clearTimeout(timer); resolve() }
      })
      this.#wake = undefined
    }
    if (this.failure !== undefined) throw this.failure
    if (this.closed) throw new Error('change stream closed')
    this.resumeToken = `token-${this.index}-${++this.#answers}`
    return this.#queue.shift() ?? null
  }

  async close (): Promise<void> {
    this.closed = true
    this.#wake?.()
  }
}

interface FakeWatch {
  source: RevocationWatchSource
  streams: FakeStream[]
  opens: number[]
  hellos: number
}

/** `hello` answers `reply`; `onOpen` may script each new stream (fail it, stall it). */
function fakeWatch (reply: Document = { setName: 'rs0', isWritablePrimary: true }, onOpen?: (stream: FakeStream) => void): FakeWatch {
  const fake: FakeWatch = {
    streams: [],
    opens: [],
    hellos: 0,
    source: {
      async hello () {
        fake.hellos++
        return reply
      },
      watch ({ resumeToken, maxAwaitTimeMS }) {
        const stream = new FakeStream(fake.streams.length, maxAwaitTimeMS, resumeToken)
        fake.streams.push(stream)
        fake.opens.push(Date.now())
        onOpen?.(stream)
        return stream
      }
    }
  }
  return fake
}

function networkError (code?: number): Error {
  return Object.assign(new Error('connection 3 to 127.0.0.1:27017 closed'), code === undefined ? {} : { code })
}

interface Logged { event: unknown }

function setup (t: Test, fake: FakeWatch, feedOptions: ChangeStreamFeedOptions = {}, failClosedAfterMs?: number): {
  list: PollingRevocationList, source: Recorder, warnings: Logged[]
} {
  const source = recorder()
  const warnings: Logged[] = []
  const logger = { info: () => undefined, warn: (object: Record<string, unknown>) => { warnings.push({ event: object.event }) } }
  const feed = createChangeStreamFeed(fake.source, { logger, ...feedOptions })
  const list = createRevocationList({ source, retentionMs: RETENTION, pollIntervalMs: POLL_MS, failClosedAfterMs, feed, logger })
  list.start()
  t.teardown(() => { list.stop() })
  return { list, source, warnings }
}

/** Waits until `check` holds (every 10 ms, at most `ms`): the time it took, or -1. */
async function waitFor (check: () => boolean, ms: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < ms) {
    if (check()) return Date.now() - started
    await sleep(10)
  }
  return check() ? Date.now() - started : -1
}

t.test('transportOf: a replica-set member or a mongos has change streams; anything else is polled', async (t) => {
  t.equal(transportOf({ isWritablePrimary: true, setName: 'rs0' }), 'change-stream')
  t.equal(transportOf({ isWritablePrimary: true, msg: 'isdbgrid' }), 'change-stream')
  t.equal(transportOf({ isWritablePrimary: true, maxWireVersion: 21 }), 'polling', 'a standalone server or FerretDB')
  t.equal(transportOf({ setName: '' }), 'polling')
})

t.test('revocation.changeStreams: \'auto\' by default, false to poll only; only the MongoDB store gets a feed', async (t) => {
  const base: AuthgateOptions = { tokens: { keys: [testKey('EdDSA')] } }
  t.equal(normaliseOptions(base).revocationChangeStreams, 'auto')
  t.equal(normaliseOptions({ ...base, revocation: {} }).revocationChangeStreams, 'auto')
  t.equal(normaliseOptions({ ...base, revocation: { changeStreams: false } }).revocationChangeStreams, false)
  t.throws(() => normaliseOptions({ ...base, revocation: { changeStreams: true } as unknown as AuthgateOptions['revocation'] }), /revocation\.changeStreams: must be "auto" or false/)
  t.throws(() => normaliseOptions({ ...base, revocation: 'off' as unknown as AuthgateOptions['revocation'] }), /revocation: must be an object/)
  t.equal(changeStreamFeedFor(new MemorySessionStore()), undefined, 'the memory store is polled only')
  const store = new MongoSessionStore({ url: 'mongodb://127.0.0.1:1/?directConnection=true', database: 'never_connected' })
  t.teardown(() => store.close())
  t.ok(changeStreamFeedFor(store), 'the MongoDB store gets a feed (it detects at start whether the server has streams)')
})

t.test('a live feed delivers at once, and polling slows to the safety cadence', async (t) => {
  const fake = fakeWatch()
  const { list, source } = setup(t, fake)
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0, 'the feed is trusted once it answers and a poll covered its opening')
  const opened = fake.opens[0] ?? 0
  const gapPoll = source.calls.find((at) => at >= opened)
  // The regular poll would come a whole interval (400 ms) after start; the gap poll comes as soon as the stream opens.
  t.ok(gapPoll !== undefined && gapPoll - opened < 150, `a poll ran as the stream opened, covering what came before it (${String((gapPoll ?? Number.NaN) - opened)} ms)`)

  const pushed = Date.now()
  fake.streams[0]?.push('s-live')
  const seen = await waitFor(() => list.isRevoked('s-live'), 3000)
  t.ok(seen >= 0 && Date.now() - pushed < POLL_MS / 2, `seen ${seen} ms after the stream delivered it, before any poll could`)

  const before = source.calls.length
  await sleep(POLL_MS * 5)
  const polls = source.calls.length - before
  t.ok(polls <= 2, `${polls} polls in 5 intervals with a live feed (safety cadence: 1 per ${REVOCATION_SAFETY_POLL_FACTOR}; polling alone: 5)`)

  // A revocation the stream never delivers (it should not happen) still arrives, by the safety poll.
  source.revoked.push({ id: 's-missed', revokedAt: new Date() })
  const missed = await waitFor(() => list.isRevoked('s-missed'), POLL_MS * (REVOCATION_SAFETY_POLL_FACTOR + 2))
  t.ok(missed >= 0, `a revocation the stream missed arrives by the safety poll (${missed} ms; bound ${REVOCATION_SAFETY_POLL_FACTOR} × ${POLL_MS} ms)`)
  t.equal(list.transport, 'change-stream', 'the feed stays trusted meanwhile')
  t.equal(fake.opens.length, 1, 'one stream, never reopened while healthy')
})

// Issue #17: the stream's first answer came while the list's first poll was still running. That poll began before
// the stream opened, so it could not cover it, and the list trusted the feed only after the next full poll, one
// whole interval later. Now a poll in flight at the opening is followed at once by one that covers it.
t.test('a feed that answers before the first poll completes is trusted right after that poll, not an interval later', async (t) => {
  const intervalMs = 20_000
  const source = recorder()
  let firstPollDone = 0
  const slowFirst: RevocationSource = {
    async listRevokedSince (since, limit) {
      if (source.calls.length === 0) {
        await sleep(300)
        firstPollDone = Date.now()
      }
      return source.listRevokedSince(since, limit)
    }
  }
  const fake = fakeWatch()
  const list = createRevocationList({ source: slowFirst, retentionMs: RETENTION, pollIntervalMs: intervalMs, feed: createChangeStreamFeed(fake.source) })
  list.start()
  t.teardown(() => { list.stop() })
  t.ok(await waitFor(() => fake.opens.length > 0 && fake.streams[0]?.resumeToken !== undefined, 3000) >= 0, 'the stream answered')
  t.equal(firstPollDone, 0, 'while the first poll was still running')
  const trusted = await waitFor(() => list.transport === 'change-stream', intervalMs / 4)
  t.ok(trusted >= 0, `trusted ${trusted} ms later, after ${source.calls.length} polls (the interval is ${intervalMs} ms)`)
  t.equal(source.calls.length, 2, 'the first poll, then the one covering the opening')
})

t.test('a stream that errors: polling takes over at once; reopen with backoff, bounded; polling goes on', async (t) => {
  let opened = 0
  const fake = fakeWatch(undefined, (stream) => {
    // The first stream works until failed below; every reopen fails at once, as while the server is away.
    if (opened++ > 0) stream.fail(networkError())
  })
  const { list, source, warnings } = setup(t, fake, { backoffInitialMs: 50, backoffMaxMs: 200, maxFailures: 5 })
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0, 'live first')

  const pollsBefore = source.calls.length
  const failedAt = Date.now()
  fake.streams[0]?.fail(networkError())
  t.ok(await waitFor(() => list.transport === 'polling', 1000) >= 0, 'the list stops trusting the feed')
  // Without the loss noticed, the next poll would be half an interval (200 ms) or more away.
  t.ok(await waitFor(() => source.calls.length > pollsBefore, 150) >= 0, `polled at once after the loss (${Date.now() - failedAt} ms)`)
  source.revoked.push({ id: 's-polled', revokedAt: new Date() })
  const polled = await waitFor(() => list.isRevoked('s-polled'), POLL_MS * 3)
  t.ok(polled >= 0, `a revocation arrives by polling meanwhile (${polled} ms)`)

  t.ok(await waitFor(() => fake.opens.length >= 5, 5000) >= 0, 'reopened until the bound')
  await sleep(600)
  t.equal(fake.opens.length, 5, 'then no more attempts (maxFailures 5: the stream failure and four failed reopens)')
  t.equal(fake.hellos, 5, 'hello before each open')
  // The first reopen counts from the failure; each next one from the open before it (which failed at once).
  const gaps = fake.opens.slice(1).map((at, i) => at - (i === 0 ? failedAt : fake.opens[i] ?? at))
  const expected = [50, 100, 200, 200]
  for (const [i, gap] of gaps.entries()) {
    t.ok(gap >= (expected[i] ?? 0) - 15 && gap < (expected[i] ?? 0) + 300, `reopen ${i + 1} after ${gap} ms (backoff ${expected[i]} ms, capped at 200)`)
  }
  t.ok(warnings.some((w) => w.event === 'revocation_stream_given_up'), 'giving up is logged')
  t.ok(warnings.filter((w) => w.event === 'revocation_stream_failed').length >= 4, 'each failure is logged')

  const pollsAfter = source.calls.length
  await sleep(POLL_MS * 3 + 100)
  t.ok(source.calls.length - pollsAfter >= 2, `polling continues at the full cadence (${source.calls.length - pollsAfter} polls in 3 intervals)`)
  t.equal(list.transport, 'polling')
})

t.test('reopen resumes after the last answer; a resume token the server rejects is dropped', async (t) => {
  const fake = fakeWatch()
  const { list } = setup(t, fake, { backoffInitialMs: 20 })
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0)
  const first = fake.streams[0]
  first?.push('s-before')
  t.ok(await waitFor(() => list.isRevoked('s-before'), 2000) >= 0)
  const token = first?.resumeToken
  first?.fail(networkError())
  t.ok(await waitFor(() => fake.streams.length >= 2, 2000) >= 0, 'reopened')
  t.equal(fake.streams[1]?.startAfter, token, 'after the last answer of the failed stream')
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0, 'live again (after a poll covering the gap)')
  fake.streams[1]?.push('s-after')
  t.ok(await waitFor(() => list.isRevoked('s-after'), 2000) >= 0, 'the reopened stream delivers')

  fake.streams[1]?.fail(networkError(286))
  t.ok(await waitFor(() => fake.streams.length >= 3, 2000) >= 0, 'reopened after ChangeStreamHistoryLost')
  t.equal(fake.streams[2]?.startAfter, undefined, 'afresh: the poll fills the gap')
  t.equal(first?.closed, true, 'failed streams are closed')
})

t.test('no change streams (hello names no replica set): polling only, the stream is never opened', async (t) => {
  const fake = fakeWatch({ isWritablePrimary: true, maxWireVersion: 21 })
  const feed = createChangeStreamFeed(fake.source)
  const source = recorder()
  const list = createRevocationList({ source, retentionMs: RETENTION, pollIntervalMs: POLL_MS, feed })
  list.start()
  t.teardown(() => { list.stop() })
  t.ok(await waitFor(() => feed.mode === 'polling', 2000) >= 0, 'the detector says polling')
  await sleep(POLL_MS * 3 + 100)
  t.equal(fake.opens.length, 0)
  t.equal(fake.hellos, 1, 'asked once')
  t.ok(source.calls.length >= 3, `polled every interval (${source.calls.length} polls)`)
  t.equal(list.transport, 'polling')
  t.equal(await detectRevocationTransport(fake.source), 'polling')
})

t.test('a server that refuses change streams (code 40573) is not asked again', async (t) => {
  const fake = fakeWatch(undefined, (stream) => { stream.fail(networkError(40573)) })
  const { list, warnings } = setup(t, fake, { backoffInitialMs: 10 })
  await sleep(300)
  t.equal(fake.opens.length, 1)
  t.ok(warnings.some((w) => w.event === 'revocation_stream_refused'))
  t.equal(list.transport, 'polling')
})

t.test('a stalled stream (no answer, socket open) is distrusted within an interval, by the list alone', async (t) => {
  const fake = fakeWatch()
  // The feed's own watchdog is far away: only the list's check of the feed's answers can notice the stall.
  const { list, source } = setup(t, fake, { stallGraceMs: 60_000 })
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0)
  const stream = fake.streams[0]
  if (stream !== undefined) stream.stalled = true
  const stalledAt = Date.now()
  const pollsBefore = source.calls.length
  source.revoked.push({ id: 's-stalled', revokedAt: new Date() })
  t.ok(await waitFor(() => list.transport === 'polling', POLL_MS * 2) >= 0, `distrusted after ${Date.now() - stalledAt} ms`)
  const delivered = await waitFor(() => list.isRevoked('s-stalled'), POLL_MS * 3)
  t.ok(delivered >= 0 && Date.now() - stalledAt < POLL_MS * 2, `delivered by polling ${Date.now() - stalledAt} ms after the stall (revocationDelay ${POLL_MS} ms, plus a tick)`)
  t.ok(source.calls.length > pollsBefore)
  t.equal(fake.opens.length, 1, 'not reopened yet (the watchdog is 60 s away)')
})

t.test('the watchdog of the feed closes a stalled stream and reopens it', async (t) => {
  const fake = fakeWatch()
  const { list } = setup(t, fake, { stallGraceMs: 150, backoffInitialMs: 20 })
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0)
  const stream = fake.streams[0]
  if (stream !== undefined) stream.stalled = true
  t.ok(await waitFor(() => fake.streams.length >= 2, 3000) >= 0, 'reopened')
  t.equal(stream?.closed, true, 'the stalled stream is closed')
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0, 'live again')
})

t.test('fail closed: a covered, answering feed keeps the list fresh while polls fail; losing it too makes it stale', async (t) => {
  let opened = 0
  const fake = fakeWatch(undefined, (stream) => { if (opened++ > 0) stream.fail(networkError()) })
  const { list, source } = setup(t, fake, { backoffInitialMs: 50, backoffMaxMs: 100 }, 600)
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0)
  source.fail = true
  await sleep(900)
  t.equal(list.stale, false, 'polls fail, but the feed answers: not stale')
  fake.streams[0]?.fail(networkError())
  t.ok(await waitFor(() => list.stale === true, 2000) >= 0, 'stale once neither polls nor the feed deliver')
  source.fail = false
  t.ok(await waitFor(() => !list.stale, 2000) >= 0, 'fresh again after a poll succeeds')
})

t.test('stop ends the feed: stream closed, nothing reopened', async (t) => {
  const fake = fakeWatch()
  const feed = createChangeStreamFeed(fake.source)
  const list = createRevocationList({ source: recorder(), retentionMs: RETENTION, pollIntervalMs: POLL_MS, feed })
  list.start()
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0)
  list.stop()
  t.equal(feed.mode, 'stopped')
  t.equal(fake.streams[0]?.closed, true)
  await sleep(300)
  t.equal(fake.opens.length, 1)
  t.equal(list.transport, 'polling')
  list.start()
  t.teardown(() => { list.stop() })
  t.ok(await waitFor(() => list.transport === 'change-stream', 3000) >= 0, 'a restart opens a new stream')
  t.equal(fake.opens.length, 2)
})

// Against the test database (test/run.mjs sets MONGODB_URL).

/** Asks `app` every 20 ms until it refuses the access token as revoked: the time it took, or -1 after `ms`. */
async function untilRefused (app: FastifyInstance, at: string, ms: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < ms) {
    const answer = await app.inject({ url: '/private', headers: bearer(at) })
    if (answer.statusCode === 401 && answer.json<{ code: string }>().code === 'AUTH_SESSION_REVOKED') return Date.now() - started
    await sleep(20)
  }
  return -1
}

const { name: database, url, client } = await useTestDatabase(t, 'revocation_stream')
const hello = await client.db('admin').command({ hello: 1 })
const replicaSet = transportOf(hello) === 'change-stream'

t.test('the detector reads the test database: polling on FerretDB or a standalone server', async (t) => {
  const store = new MongoSessionStore({ url, database })
  t.teardown(() => store.close())
  t.equal(await detectRevocationTransport(store), replicaSet ? 'change-stream' : 'polling', `hello: setName ${String(hello.setName)}, msg ${String(hello.msg)}`)
})

t.test('without change streams, a revocation on one instance reaches another by polling within revocationDelay', async (t) => {
  // On a replica set, change streams are turned off to test the polling path all the same.
  const delayMs = 500
  const options = { tokens: { revocationDelay: `${delayMs}ms` }, revocation: { changeStreams: replicaSet ? false as const : 'auto' as const } }
  const a = await buildApp(t, 'mongo', { database, options })
  const b = await buildApp(t, 'mongo', { database, options })
  const { rt, at } = await signIn(b, 'polled@example.com')
  t.equal((await a.inject({ url: '/private', headers: bearer(at) })).statusCode, 200)
  t.equal((await b.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${rt}` } })).statusCode, 204)
  const elapsed = await untilRefused(a, at, 6 * delayMs)
  t.ok(elapsed >= 0, `refused on the other instance ${elapsed} ms after the revocation`)
  t.ok(elapsed < 3 * delayMs, `within revocationDelay (${delayMs} ms), plus one poll's own time and one check on a loaded machine`)
  t.equal((a.authgate.revocations as PollingRevocationList).transport, 'polling')
})

// Change streams over the wire (issue #17): a replica set from useReplicaSet (MONGODB_URL when it names one, else a
// private mongo-java-server launcher in replica-set mode on the mongo-java-server leg of the matrix).
const rs = await useReplicaSet(t)
const rsSkip = 'skip' in rs ? rs.skip : false
const rsDatabase = freshDatabaseName('revocation_rs')
const rsStore = (t: Test, url: string): MongoSessionStore => {
  const store = new MongoSessionStore({ url, database: rsDatabase })
  t.teardown(() => store.close())
  return store
}
if (!('skip' in rs)) {
  t.teardown(async () => {
    const admin = new MongoClient(rs.url, { serverSelectionTimeoutMS: 2000 })
    await admin.db(rsDatabase).dropDatabase().catch(() => undefined)
    await admin.close()
  })
}

t.test('on a replica set, the change stream delivers to a second instance in well under a second', { skip: rsSkip }, async (t) => {
  if ('skip' in rs) return
  t.comment(`server: ${rs.kind}`)
  // A 30 s poll interval: the safety poll is minutes away, so only the stream can deliver quickly.
  const delayMs = 30_000
  const options = { tokens: { revocationDelay: `${delayMs / 1000}s` }, store: { mongodb: { url: rs.url, database: rsDatabase } } }
  const a = await buildApp(t, 'mongo', { database: rsDatabase, options })
  const b = await buildApp(t, 'mongo', { database: rsDatabase, options })
  const list = a.authgate.revocations as PollingRevocationList
  const trusted = await waitFor(() => list.transport === 'change-stream', delayMs / 3)
  t.ok(trusted >= 0, `instance A trusts its stream ${trusted} ms after start (not one interval later: the first-poll fix)`)
  const { rt, at } = await signIn(b, 'streamed@example.com')
  t.equal((await a.inject({ url: '/private', headers: bearer(at) })).statusCode, 200)
  t.equal((await b.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${rt}` } })).statusCode, 204)
  const elapsed = await untilRefused(a, at, 5000)
  t.ok(elapsed >= 0, 'instance A refuses the revoked session')
  t.ok(elapsed < delayMs / 30, `within ${elapsed} ms: under a second, with a ${delayMs} ms revocationDelay`)
  t.equal(list.transport, 'change-stream')
})

t.test('the real watch() path: inserts only (the pipeline), each with its time; startAfter resumes after the last answer', { skip: rsSkip }, async (t) => {
  if ('skip' in rs) return
  const store = rsStore(t, rs.url)
  await store.init()
  const watcher = mongoWatchSource(store)
  const tombstones = new MongoClient(rs.url, { serverSelectionTimeoutMS: 5000 })
  t.teardown(() => tombstones.close())
  const revocations = tombstones.db(rsDatabase).collection<{ _id: string, revokedAt: Date, expiresAt: Date }>('revocations')
  const tombstone = (id: string) => ({ _id: id, revokedAt: new Date(Date.now() - 1000), expiresAt: new Date(Date.now() + 86_400_000) })
  /** The next `count` revocations the stream hands over (bounded: 50 answers). */
  const read = async (stream: RevocationStream, count: number): Promise<Array<{ id: string, revokedAt: Date }>> => {
    const seen: Array<{ id: string, revokedAt: Date }> = []
    for (let answers = 0; answers < 50 && seen.length < count; answers++) {
      const next = await stream.tryNext()
      if (next !== null) seen.push(next)
    }
    return seen
  }

  const first = watcher.watch({ resumeToken: undefined, maxAwaitTimeMS: 100 })
  t.equal(await first.tryNext(), null, 'opening answers without a revocation')
  const a = tombstone('sid-a')
  await revocations.insertOne(a)
  await revocations.updateOne({ _id: 'sid-a' }, { $set: { expiresAt: new Date(Date.now() + 1000) } })
  await revocations.insertOne(tombstone('sid-gone'))
  await revocations.deleteOne({ _id: 'sid-gone' })
  await revocations.insertOne(tombstone('sid-b'))
  const seen = await read(first, 3)
  t.same(seen.map((entry) => entry.id), ['sid-a', 'sid-gone', 'sid-b'], 'the inserts, in order; the update and the delete are not revocations')
  t.equal(seen[0]?.revokedAt.getTime(), a.revokedAt.getTime(), 'with the stored revocation time')
  const token = first.resumeToken
  t.ok(token !== undefined && token !== null, 'a resume token after the answers')
  await first.close()
  t.ok(first.closed)

  await revocations.insertOne(tombstone('sid-c'))
  await revocations.insertOne(tombstone('sid-d'))
  const resumed = watcher.watch({ resumeToken: token, maxAwaitTimeMS: 100 })
  t.teardown(() => resumed.close())
  t.same((await read(resumed, 2)).map((entry) => entry.id), ['sid-c', 'sid-d'], 'startAfter: what was inserted while closed, nothing read before')
})

// A server of its own, killed below: not with MONGODB_URL (someone else's server).
const killSkip = 'skip' in rs ? rs.skip : process.env.MONGODB_URL === rs.url ? 'needs a private replica-set server to kill (the mongo-java-server leg)' : false
t.test('the real watch() path: a server that goes away fails the stream and the list falls back to polling', { skip: killSkip }, async (t) => {
  const own = await useReplicaSet(t)
  if ('skip' in own) return
  const store = rsStore(t, own.url)
  const warnings: Array<Logged & { err?: unknown }> = []
  const logger = { info: () => undefined, warn: (object: Record<string, unknown>) => { warnings.push({ event: object.event, err: object.err }) } }
  const pollIntervalMs = 2000
  // The feed's own signals to the list, recorded: the fallback must come from the stream failing (`lost`), not only
  // from the list no longer hearing `alive` (which elapsed time alone would also produce).
  const signals: string[] = []
  const feed = changeStreamFeedFor(store, { logger, backoffInitialMs: 200 })
  if (feed === undefined) throw new Error('a MongoSessionStore has a change-stream feed')
  const recorded: RevocationFeed = {
    start: (sink, heartbeatMs) => {
      feed.start({
        revoked: (sid, at) => { sink.revoked(sid, at) },
        alive: () => { sink.alive() },
        lost: () => { signals.push('lost'); sink.lost() }
      }, heartbeatMs)
    },
    stop: () => { feed.stop() },
    get mode () { return feed.mode }
  }
  const list = createRevocationList({ source: store, retentionMs: RETENTION, pollIntervalMs, logger, feed: recorded })
  list.start()
  t.teardown(() => { list.stop() })
  t.ok(await waitFor(() => list.transport === 'change-stream', pollIntervalMs * 2) >= 0, 'streaming from the replica set')
  t.same(signals, [], 'no failure while the server runs')
  await own.stop()
  // The driver first tries to resume the stream itself (server selection, 3 s), then the feed sees the error.
  const failed = await waitFor(() => signals.includes('lost'), 15_000)
  t.ok(failed >= 0, `the stream failure reaches the list as \`lost\` (${failed} ms)`)
  const logged = warnings.find((w) => w.event === 'revocation_stream_failed')
  t.ok(logged?.err instanceof Error, 'and is logged with its error')
  t.equal(list.transport, 'polling', 'the list is polling once the stream is lost')
})
