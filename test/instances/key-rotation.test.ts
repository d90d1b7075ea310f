// Issue #6 "Key ring for many instances", end to end: two gateway instances on one database with
// tokens.keyStore: database, a recording upstream behind them, traffic alternating between the instances with access
// tokens minted by both, and two `authgate keys rotate` processes started at the same time in the middle of it.
// Zero requests may fail; exactly one key is current afterwards; a token signed by the retired key keeps working
// until it expires; the JWKS lists next/current/retired as the ring says, with Cache-Control, and drops the retired
// key after its window.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { buildApp, loadConfig } from '@authgate/gateway'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, claimsOf, login, refresh, register, sleep, type Answer } from '../faults/helpers/app.js'
import { runCli, type CliRun } from '../../apps/gateway/test/cli-helpers.js'

// Five CLI processes (each compiling the TypeScript sources) and two token lifetimes: about a minute on a busy machine,
// more than the default per-file timeout leaves room for.
t.setTimeout(240_000)
const { url, name: database, db } = await useTestDatabase(t, 'keyrotation')

// Long enough that the instances' polls are well apart: a key one of them signs with before the other has polled must
// already verify there (it was published as `next`).
const REFRESH_MS = 1000
const ACCESS_TTL_S = 6
// Retired keys verify for the longest token lifetime + clock tolerance (0 here) + three refresh intervals.
const WINDOW_MS = ACCESS_TTL_S * 1000 + 3 * REFRESH_MS
// Every loop below is bounded in time as well as by its stop flag.
const TRAFFIC_CAP_MS = 60_000

const env = { MONGODB_URL: url, AUTHGATE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') }
const dir = mkdtempSync(join(tmpdir(), 'authgate-keyring-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

// The recording upstream: counts what reached it.
let upstreamHits = 0
const upstream = createServer((request, response) => {
  upstreamHits++
  request.resume()
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ user: request.headers['x-user-id'] ?? null }))
  })
})
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => { upstream.closeAllConnections(); upstream.close(() => { resolve() }) }))

// Not the default name: the command must build its store from the file's store section, as the gateway does.
const AUDIT_COLLECTION = 'audit_of_keys'
const configFile = join(dir, 'authgate.yaml')
writeFileSync(configFile, `server: { host: 127.0.0.1, port: 0 }
log: { level: silent }
store: { mongodb: { url: \${MONGODB_URL}, database: ${database}, collections: { audit: ${AUDIT_COLLECTION} } } }
tokens:
  keyStore: database
  keyEncryptionKey: \${AUTHGATE_KEY_ENCRYPTION_KEY}
  keyRefresh: ${REFRESH_MS}ms
  issuer: authgate-e2e
  audience: upstream
  accessTtl: ${ACCESS_TTL_S}s
  clockTolerance: 0s
cookie: { secure: false }
auth: { registration: true }
routes:
  - { prefix: /api, upstream: http://127.0.0.1:${(upstream.address() as AddressInfo).port}, auth: required }
`)

const cli = (...args: string[]): Promise<CliRun> => runCli(['keys', ...args, '--config', configFile], { env })
const kidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid

interface RingDoc { _id: number, keys: Array<{ kid: string, state: string }> }
async function newestRing (): Promise<RingDoc> {
  const doc = await db.collection<RingDoc>('signingKeys').find({}).sort({ _id: -1 }).limit(1).next()
  if (doc === null) throw new Error('no key ring')
  return doc
}
const kidsIn = (ring: RingDoc, state: string): string[] => ring.keys.filter((key) => key.state === state).map((key) => key.kid)

async function jwks (base: string): Promise<{ kids: string[], cacheControl: string | null }> {
  const answer = await call(base, '/.well-known/jwks.json')
  return { kids: (answer.body.keys as Array<{ kid: string }>).map((key) => key.kid).sort(), cacheControl: answer.headers.get('cache-control') }
}

t.test('rotation during traffic on two instances: zero failed requests', async (t) => {
  const created = await cli('rotate')
  t.equal(created.code, 0, `keys rotate on an empty ring (${created.stderr.trim()})`)
  t.match(created.stdout, /key ring created \(generation 1\): current \S+, next \S+/)
  const first = await newestRing()
  const [k1] = kidsIn(first, 'current')
  const [k2] = kidsIn(first, 'next')

  const instances: string[] = []
  for (const delay of [0, REFRESH_MS / 2]) {
    // Started half a refresh interval apart, as real instances are: their polls (and so their switches) do not
    // coincide, and for a moment one signs with the new key while the other has not read the rotation yet.
    await sleep(delay)
    const app = await buildApp(loadConfig(configFile, { env }), { logger: false })
    await app.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.close())
    instances.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)
  }
  const [a, b] = instances as [string, string]

  for (const base of instances) {
    const keys = await jwks(base)
    t.same(keys.kids, [k1, k2].sort(), 'each instance publishes current and next at start')
    t.equal(keys.cacheControl, `public, max-age=${Math.floor(REFRESH_MS / 1000)}`, 'JWKS max-age ≤ the refresh interval')
  }
  const list = await cli('list')
  t.equal(list.code, 0)
  t.match(list.stdout, new RegExp(`${k1}\\s+EdDSA\\s+current`))
  t.notMatch(list.stdout + list.stderr, /PRIVATE|sealed|BEGIN/, 'keys list shows no key material')

  t.equal((await register(a, 'rotation@example.com')).status, 201)
  const signedIn = await login(a, 'rotation@example.com')
  t.equal(signedIn.status, 200)
  t.equal(kidOf(signedIn.body.accessToken), k1, 'signed with the current key')

  // Minting: refreshes alternate between the instances (each signs with the key it currently holds). Traffic: two
  // workers alternate instances, each request carrying a token minted by an instance, often the other one.
  const failures: string[] = []
  const minted: Array<{ token: string, by: string, at: number }> = [{ token: signedIn.body.accessToken, by: a, at: Date.now() }]
  let rt = signedIn.rt as string
  let sent = 0
  let stop = false
  const started = Date.now()
  const running = (): boolean => !stop && Date.now() - started < TRAFFIC_CAP_MS
  const record = (what: string, answer: Answer): void => {
    if (answer.status !== 200) failures.push(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`)
  }
  const minter = (async () => {
    for (let turn = 0; running(); turn++) {
      const base = turn % 2 === 0 ? b : a
      const answer = await refresh(base, rt)
      record(`refresh on ${base === a ? 'A' : 'B'}`, answer)
      if (answer.status === 200 && answer.rt !== undefined) {
        rt = answer.rt
        minted.push({ token: answer.body.accessToken, by: base, at: Date.now() })
      }
      // ≈ 100 refreshes a minute per instance: under the default refresh rate limit (300 a minute).
      await sleep(150)
    }
  })()
  const worker = async (offset: number): Promise<void> => {
    for (let index = offset; running(); index += 2) {
      // Tokens with at least 1.5 s left (a request may wait on a busy machine): expiry is not what this test is about.
      const fresh = minted.filter((item) => claimsOf(item.token).exp * 1000 > Date.now() + 1500)
      // Every other request carries the newest token, to the instance that did not mint it: right after the rotation
      // that is a token of the new current key, sent to an instance that may not have polled yet.
      const item = index % 4 < 2 ? fresh[fresh.length - 1] : fresh[index % fresh.length]
      if (item === undefined) {
        // The minter is behind (the CLI processes compete for the CPU); its own failures are recorded.
        await sleep(20)
        continue
      }
      // The other instance than the one that minted it, every other request.
      const base = index % 2 === 0 ? (item.by === a ? b : a) : item.by
      record(`GET /api on ${base === a ? 'A' : 'B'} with a token of ${item.by === a ? 'A' : 'B'} (kid ${kidOf(item.token)})`, await call(base, '/api/ping', { bearer: item.token }))
      sent++
    }
  }
  const workers = Promise.all([worker(0), worker(1)])

  await sleep(1000)
  // Two operators (or a retried job) rotate at the same moment, from two processes.
  const rotations = await Promise.all([cli('rotate'), cli('rotate')])
  const rotatedAt = Date.now()
  await sleep(1500)
  stop = true
  await Promise.all([minter, workers])

  t.same(failures.slice(0, 10), [], `zero failed requests (${failures.length} failures in ${sent} proxied requests and ${minted.length} refreshes)`)
  t.ok(sent > 50, `traffic ran throughout (${sent} proxied requests)`)
  t.equal(upstreamHits, sent, 'every proxied request reached the upstream')

  const applied = rotations.filter((run) => run.code === 0)
  t.ok(applied.length >= 1, 'at least one rotation applied')
  for (const run of rotations) {
    if (run.code === 0) t.match(run.stdout, /rotated \(generation \d+\): current \S+, next \S+, retired \S+/)
    else t.match(run.stderr, /changed while this command ran|published \d+ s ago/, `the other one refused: ${run.stderr.trim()}`)
  }
  const ring = await newestRing()
  t.equal(kidsIn(ring, 'current').length, 1, 'exactly one current key')
  t.equal(kidsIn(ring, 'next').length, 1, 'exactly one next key')
  t.equal(ring._id, 1 + applied.length, 'one generation per applied rotation')
  t.ok(kidsIn(ring, 'retired').includes(k1 as string), 'the first key is retired')
  const current = kidsIn(ring, 'current')[0]
  t.equal(applied.length === 1 ? current : undefined, applied.length === 1 ? k2 : undefined, 'a single rotation promoted the published next key')

  const afterA = await refresh(a, rt)
  const afterB = await refresh(b, afterA.rt as string)
  t.same([kidOf(afterA.body.accessToken), kidOf(afterB.body.accessToken)], [current, current], 'both instances sign with the new current key')
  for (const base of instances) {
    const keys = await jwks(base)
    t.same(keys.kids, ring.keys.map((key) => key.kid).sort(), 'the JWKS lists next, current and the retired keys')
  }

  // The newest token signed with the first key (minted up to one refresh interval after the rotation).
  const old = [...minted].reverse().find((item) => kidOf(item.token) === k1)
  t.ok(old !== undefined, 'tokens were signed with the first key during the traffic')
  const exp = claimsOf(old?.token ?? '').exp * 1000
  t.ok(exp > Date.now(), 'and the newest of them has not expired yet')
  for (const base of instances) t.equal((await call(base, '/api/old', { bearer: old?.token })).status, 200, 'a token of the retired key still works')
  await sleep(Math.max(0, exp - Date.now() - 300))
  for (const base of instances) t.equal((await call(base, '/api/old', { bearer: old?.token })).status, 200, '… until it expires')
  await sleep(Math.max(0, exp - Date.now() + 1100))
  for (const base of instances) {
    const refused = await call(base, '/api/old', { bearer: old?.token })
    t.equal(refused.status, 401, 'then it is refused')
  }

  // After the window the retired key leaves the verification set and the JWKS of both instances.
  await sleep(Math.max(0, rotatedAt + WINDOW_MS + 2 * REFRESH_MS - Date.now()))
  for (const base of instances) {
    const keys = await jwks(base)
    t.notOk(keys.kids.includes(k1 as string), 'the retired key left the JWKS after its window')
    t.ok(keys.kids.includes(current as string), 'the current key stays')
  }
  const minted2 = await runCli(['token', '--config', configFile, '--sub', 'cli-user'], { env })
  t.equal(minted2.code, 0, `authgate token signs with the ring (${minted2.stderr.trim()})`)
  t.equal(kidOf(minted2.stdout.trim()), current, 'with the current key')
  t.equal((await call(a, '/api/cli', { bearer: minted2.stdout.trim() })).status, 200, 'and the gateway accepts it')

  const retired = await cli('retire')
  t.equal(retired.code, 0, retired.stderr)
  t.match(retired.stdout, new RegExp(`dropped .*${k1}`), 'keys retire drops it from the ring')
  t.notOk((await newestRing()).keys.some((key) => key.kid === k1))

  // Every change the command made is in the audit trail (issue #15 item 4): kids only, never key material.
  t.equal(await db.collection('audit').countDocuments({ type: 'keyRotation' }), 0, 'nothing in the default collection')
  const rows = await db.collection(AUDIT_COLLECTION).find({ type: 'keyRotation' }).sort({ at: 1 }).toArray()
  const actions = rows.map((row) => (row.details as { action: string }).action)
  t.equal(actions[0], 'created', 'the ring\'s creation')
  t.ok(actions.includes('rotated'), 'the rotation')
  t.match(rows.find((row) => (row.details as { action: string }).action === 'retired'), { actor: 'cli', userId: null, details: { dropped: new RegExp(k1 ?? '') } }, 'the retirement, naming the key dropped')
  t.ok(rows.every((row) => row.actor === 'cli' && row.expiresAt instanceof Date))
  // The operator: the OS account that ran the command (this test's own); --force as given (never here).
  t.ok(rows.every((row) => (row.details as { operator: unknown }).operator === userInfo().username), 'each row names the operator')
  t.ok(rows.filter((row) => (row.details as { action: string }).action !== 'retired').every((row) => (row.details as { force: unknown }).force === false), 'rotate rows say --force was not given')
  t.notMatch(JSON.stringify(rows), /BEGIN|PRIVATE|sealed|ciphertext/i, 'no key material in the rows')
})
