#!/usr/bin/env node
// `node test/bench/tools/refresh-levels.mjs [--sessions=1,4,8,16] [--storms=1,2,5] [--seconds=8] [--warmup=5] [--cpu-prof=DIR]`: the
// `refresh` and `refresh-storm` drivers against the test database (test/kit/mongo: FerretDB by default,
// AUTHGATE_TEST_DB to choose) at several concurrency levels, each level after a warm-up. Starts only the database and
// one auth-endpoints server (servers/auth-server.mjs), both pinned to the server core as `pnpm bench` pins them, with
// nothing else running. Per level: rotations/s, p50/p99, the answers by status (a 503 is the store's 3 s deadline),
// and CPU µs per answered request of the server and of the database process, from /proc. What it answers: at which
// concurrency the database's queue pushes rotations past the store's deadline (issue #18: `refresh` must have 0 errors).
// --cpu-prof profiles the server (DIR, written when it stops; its request count is printed). Loopback only; every run
// bounded by --seconds.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { killAllChildrenNow, stopAllChildren } from '../lib/children.mjs'
import { describePlacement, LOAD_CORE, pinningEnabled, pinPid, pinSelf, SERVER_CORE, verifyPlacement } from '../lib/placement.mjs'
import { SERVERS_DIR, SETUP_DIR, startNodeServer } from '../lib/servers.mjs'
import { typescriptNode } from '@authgate/test-kit/node-args'
import { AUDIENCE, ISSUER, TOKEN_TTL_SECONDS } from '../lib/gateway-config.mjs'
import { loginSessions, runRefresh, runRefreshStorm } from '../lib/cookie-chain.mjs'
import { startCpuMeter, startOtherLoadMeter } from '../lib/cpu.mjs'
import { BENCH_USER, DATABASE } from '../lib/environment.mjs'
import { startTestDatabase } from '../../kit/mongo/test-database.mjs'

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1,4,8,16' },
    storms: { type: 'string', default: '1,2,5' },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '5' },
    tabs: { type: 'string', default: '4' },
    'cpu-prof': { type: 'string' }
  }
})
const levels = (/** @type {string | undefined} */ list) => (list ?? '').split(',').filter(Boolean).map((n) => Math.min(128, Math.max(1, Number(n))))
const seconds = Math.min(30, Math.max(1, Number(args.seconds)))
const warmup = Math.min(30, Math.max(0, Number(args.warmup)))
const tabs = Math.min(16, Math.max(1, Number(args.tabs)))
const startedAt = Date.now()
const log = (line) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s] ${line}`)
const dir = mkdtempSync(join(tmpdir(), 'authgate-refresh-levels-'))
/** @type {{ stop: () => Promise<void> } | undefined} */
let db
const cleanUp = async () => {
  await stopAllChildren()
  await db?.stop()
  rmSync(dir, { recursive: true, force: true })
}
process.once('exit', killAllChildrenNow)
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { void cleanUp().finally(() => process.exit(130)) })

const ts = typescriptNode()
if ('error' in ts) throw new Error(ts.error)
try {
  log(`load average at start: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
  const started = await startTestDatabase({ log })
  db = started
  log(`database: ${started.kind} at ${started.url}`)
  const mongo = { url: started.url, database: DATABASE }
  const setup = await startNodeServer('setup', join(SETUP_DIR, 'prepare.mjs'), {
    ts,
    pin: false,
    env: { BENCH_SETUP: JSON.stringify({ dir, algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TOKEN_TTL_SECONDS, revoked: 0, mongo: { ...mongo, user: BENCH_USER } }) }
  })
  const server = await startNodeServer('auth-endpoints', join(SERVERS_DIR, 'auth-server.mjs'), {
    ts,
    nodeArgs: args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'])}`] : [],
    env: { BENCH_AUTH: JSON.stringify({ mongoUrl: mongo.url, database: mongo.database, algorithm: 'EdDSA', keysDir: setup.ready.tokens.EdDSA.keysDir, issuer: ISSUER, audience: AUDIENCE }) }
  })
  if (started.pid !== undefined) pinPid(started.pid, SERVER_CORE)
  // Only now: the children inherited this process's affinity (both cores) for their start-up.
  pinSelf()
  log(`placement: ${describePlacement(pinningEnabled()
    ? verifyPlacement([
      { name: 'load generator (this process)', pid: process.pid, cores: LOAD_CORE, tree: false },
      { name: 'auth-endpoints', pid: server.pid, cores: SERVER_CORE },
      { name: 'database', pid: started.pid, cores: SERVER_CORE, why: 'not started by this tool' }
    ])
    : undefined)}`)
  const common = { port: server.port, prefix: '/auth', cookieName: 'authgate_rt' }
  let answered = 0
  const measuredFrom = Date.now()
  /** @param {string} label @param {number} count @param {(state: { cookies: Array<string | null> }, seconds: number) => Promise<any>} drive */
  const level = async (label, count, drive) => {
    const state = { cookies: /** @type {Array<string | null>} */ (await loginSessions({ ...common, user: BENCH_USER, count })) }
    if (warmup > 0) answered += (await drive(state, warmup)).requests
    const meter = startCpuMeter({ server: server.pid, database: started.pid })
    const others = startOtherLoadMeter()
    const sample = await drive(state, seconds)
    const cpu = meter.stop(sample.requests)
    const other = others.stop()
    answered += sample.requests
    const codes = Object.entries(sample.statusCodes).map(([code, n]) => `${code} × ${n}`).join(', ')
    log(`${label.padEnd(22)} ${String(Math.round(sample.rotationsPerSec)).padStart(4)} rotations/s, p50 ${sample.p50.toFixed(0).padStart(5)} ms, p99 ${sample.p99.toFixed(0).padStart(5)} ms; ` +
      `CPU µs/request: server ${Math.round(cpu.parts.server ?? Number.NaN)}, database ${Math.round(cpu.parts.database ?? Number.NaN)}; ${codes}; ` +
      `other work on the machine ${Math.round(other)} % of a core`)
  }
  log(`each level: ${warmup} s warm-up, then ${seconds} s measured; sessions logged in afresh per level`)
  try {
    for (const count of levels(args.sessions)) {
      await level(`refresh, ${count} session${count === 1 ? '' : 's'}`, count, (state, s) => runRefresh({ ...common, state, seconds: s }))
    }
    for (const count of levels(args.storms)) {
      await level(`storm, ${count} × ${tabs} tabs`, count, (state, s) => runRefreshStorm({ ...common, state, tabs, seconds: s }))
    }
  } catch (error) {
    // What the server logged says why (a store that cannot reach its database, a refused login).
    throw new Error(`${String(error instanceof Error ? error.message : error)}\n  server log:\n  ${server.stdoutTail.slice(-10).join('\n  ')}`)
  }
  if (args['cpu-prof']) log(`profile in ${resolve(args['cpu-prof'])}: ${answered} refreshes answered in the ${Math.round((Date.now() - measuredFrom) / 1000)} s before this line (logins left out)`)
  log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
} finally {
  await cleanUp()
}
