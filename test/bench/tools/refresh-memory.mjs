#!/usr/bin/env node
// `node test/bench/tools/refresh-memory.mjs [--seconds=5] [--rounds=3] [--sessions=64] [--cpu-prof=DIR]`: the
// `refresh-memory` scenario alone, for profiling the rotation path (issue #18 item 3). Starts only the auth
// endpoints on the in-memory store (servers/auth-server.mjs), pinned as `pnpm bench` pins, logs the sessions in,
// and drives the refresh loops in rounds, printing rotations/s and the server's CPU µs per rotation (from /proc).
// --cpu-prof writes the server's profile when it stops; summarise with tools/profile-summary.mjs --requests=N.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { killAllChildrenNow, stopAllChildren } from '../lib/children.mjs'
import { describePlacement, LOAD_CORE, pinningEnabled, pinSelf, SERVER_CORE, verifyPlacement } from '../lib/placement.mjs'
import { SERVERS_DIR, SETUP_DIR, startNodeServer } from '../lib/servers.mjs'
import { typescriptNode } from '@authgate/test-kit/node-args'
import { AUDIENCE, ISSUER, TOKEN_TTL_SECONDS } from '../lib/gateway-config.mjs'
import { loginSessions, runRefresh } from '../lib/cookie-chain.mjs'
import { startCpuMeter } from '../lib/cpu.mjs'
import { BENCH_USER } from '../lib/environment.mjs'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    sessions: { type: 'string', default: '64' },
    'cpu-prof': { type: 'string' }
  }
})
const seconds = Math.min(30, Math.max(1, Number(args.seconds)))
const rounds = Math.min(20, Math.max(1, Number(args.rounds)))
const sessions = Math.min(256, Math.max(1, Number(args.sessions)))
const startedAt = Date.now()
const log = (line) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s] ${line}`)
const dir = mkdtempSync(join(tmpdir(), 'authgate-refresh-'))
process.once('exit', killAllChildrenNow)
// Ctrl-C or a kill mid-run: stop the servers and remove the temporary folder, as compare.mjs does.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { void stopAllChildren().finally(() => { rmSync(dir, { recursive: true, force: true }); process.exit(130) }) })
}

const ts = typescriptNode()
if ('error' in ts) throw new Error(ts.error)
try {
  log(`load average at start: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
  const setup = await startNodeServer('setup', join(SETUP_DIR, 'prepare.mjs'), {
    ts, pin: false, env: { BENCH_SETUP: JSON.stringify({ dir, algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TOKEN_TTL_SECONDS, revoked: 0 }) }
  })
  const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'])}`] : []
  const server = await startNodeServer('auth-memory', join(SERVERS_DIR, 'auth-server.mjs'), {
    ts,
    nodeArgs,
    env: { BENCH_AUTH: JSON.stringify({ memory: true, user: BENCH_USER, algorithm: 'EdDSA', keysDir: setup.ready.tokens.EdDSA.keysDir, issuer: ISSUER, audience: AUDIENCE }) }
  })
  // Only now: the server inherited this process's affinity when spawned (both cores for its start-up), then was pinned.
  pinSelf()
  log(`placement: ${describePlacement(pinningEnabled()
    ? verifyPlacement([{ name: 'load generator (this process)', pid: process.pid, cores: LOAD_CORE, tree: false }, { name: 'auth-memory', pid: server.pid, cores: SERVER_CORE }])
    : undefined)}`)
  const state = { cookies: await loginSessions({ port: server.port, prefix: '/auth', cookieName: 'authgate_rt', user: BENCH_USER, count: sessions }) }
  const drive = () => runRefresh({ port: server.port, prefix: '/auth', cookieName: 'authgate_rt', state, seconds })
  let answered = (await drive()).requests
  log(`${sessions} sessions logged in, warmed up ${seconds} s`)
  for (let round = 1; round <= rounds; round++) {
    const meter = startCpuMeter({ server: server.pid })
    const sample = await drive()
    const cpu = meter.stop(sample.requests)
    answered += sample.requests
    log(`round ${round}: ${Math.round(sample.rotationsPerSec)} rotations/s, p99 ${sample.p99.toFixed(1)} ms, ${sample.errors} errors, ` +
      `${sample.falseReuse} false reuse, ${Math.round(cpu.total)} µs CPU/rotation (kernel ${Math.round(cpu.system)})`)
    if (sample.errors > 0) log(`! ${JSON.stringify(sample.statusCodes)}`)
  }
  if (args['cpu-prof']) log(`profile in ${resolve(args['cpu-prof'])} (--requests=${answered}, login included)`)
  log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
} finally {
  await stopAllChildren()
  rmSync(dir, { recursive: true, force: true })
}
