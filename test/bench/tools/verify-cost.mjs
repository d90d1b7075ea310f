#!/usr/bin/env node
// `node test/bench/tools/verify-cost.mjs [--rounds=5] [--seconds=5] [--warmup=20] [--connections=50] [--before=DIR]
//   [--baseline] [--cpu-prof=DIR] [--log-level=warn|info]`
// authgate's own CPU per verified forward-auth request (issue #18: ≤ 25 µs), without nginx in front: the figure
// `pnpm bench` reports as nginx-forward-auth's `cpuParts.authgate`, where nginx sharing the server core blurs it.
// Starts the upstream (the routes need one; the verifier never calls it) and the EdDSA gateway of this checkout (and
// with --before the one of another checkout, e.g. a detached worktree of main), asks GET /auth/verify from 127.0.0.1
// (a trusted peer: loopback) with what nginx's auth_request sends (the client's Authorization, X-Original-URI,
// X-Forwarded-Method), checks that a probe answers 200 with the identity and that the same request without its token
// answers 401, warms every server up for --warmup seconds (≥ 15: the first 10–15 s of load cost 1.5–2.5× more CPU
// per request on this VM), then measures interleaved rounds (the order rotates) of --seconds each: CPU µs per
// request (user + kernel from /proc, the measured process only) and req/s. Every round must answer 2xx only.
// --baseline measures the upstream too, sent the same request (bare Fastify, logging off, answering any GET with a
// 100-byte body): the floor any Fastify server pays per request here, in the same rounds.
// Load generator on core 0, servers on core 1, as `pnpm bench` pins them; loopback only.
// --cpu-prof writes one .cpuprofile per measured process when the tool stops it, and prints for each the seconds to
// skip (start-up and warm-up) and the --requests=N of the measured rounds, for tools/profile-summary.mjs.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { killAllChildrenNow, stopAllChildren } from '../lib/children.mjs'
import { describePlacement, pinSelf } from '../lib/placement.mjs'
import { assertProbe, probe, runAutocannon } from '../lib/load.mjs'
import { SERVERS_DIR, SETUP_DIR, startNodeServer } from '../lib/servers.mjs'
import { typescriptNode } from '@authgate/test-kit/node-args'
import { AUDIENCE, ISSUER, TOKEN_TTL_SECONDS, writeGatewayConfig } from '../lib/gateway-config.mjs'
import { median } from '../lib/stats.mjs'
import { startCpuMeter } from '../lib/cpu.mjs'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '20' },
    connections: { type: 'string', default: '50' },
    before: { type: 'string' },
    baseline: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'log-level': { type: 'string', default: 'warn' }
  }
})
const rounds = Math.min(30, Math.max(1, Number(args.rounds)))
const seconds = Math.min(30, Math.max(1, Number(args.seconds)))
// Below 15 s the first rounds would measure the warm-up (see above): not allowed.
const warmup = Math.min(120, Math.max(15, Number(args.warmup)))
const connections = Math.min(200, Math.max(1, Number(args.connections)))
const logLevel = /** @type {string} */ (args['log-level'])
if (!['warn', 'info'].includes(logLevel)) throw new Error(`--log-level: warn or info, not ${logLevel}`)

const startedAt = Date.now()
const log = (line) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s] ${line}`)
const loads = () => loadavg().map((load) => load.toFixed(2)).join(' ')
const dir = mkdtempSync(join(tmpdir(), 'authgate-verify-cost-'))
process.once('exit', killAllChildrenNow)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { void stopAllChildren().finally(() => { rmSync(dir, { recursive: true, force: true }); process.exit(130) }) })
}

const ts = typescriptNode()
if ('error' in ts) throw new Error(ts.error)
/** @type {Map<string, number>} when each server process was spawned (its profile starts then, give or take a few ms) */
const spawnedAt = new Map()
const profArgs = (name) => args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'], name)}`] : []

/**
 * Busy time per request over the measured rounds of the main thread's profile (idle left out), and the share of it in
 * process.nextTick's own code. The latter tells two states of a process apart: in some processes V8's feedback for the
 * object literal in nextTick turns megamorphic, and each of the ≈ 9 ticks Node's HTTP code makes per request then costs
 * ≈ 0.5–0.8 µs instead of ≈ 0.05 (docs/profiling.md, issue #18). Compare processes in the same state.
 * @param {string} folder @param {number} skipSeconds @param {number} requests
 */
function profileFigures (folder, skipSeconds, requests) {
  const file = readdirSync(folder).find((name) => name.endsWith('.001.cpuprofile'))
  if (file === undefined || requests === 0) return undefined
  const profile = JSON.parse(readFileSync(join(folder, file), 'utf8'))
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  let elapsedMs = 0
  let busyMs = 0
  let nextTickMs = 0
  profile.samples.forEach((id, index) => {
    const deltaMs = (profile.timeDeltas[index] ?? 0) / 1000
    elapsedMs += deltaMs
    const frame = nodes.get(id)
    if (elapsedMs < skipSeconds * 1000 || frame === undefined || frame.functionName === '(idle)') return
    busyMs += deltaMs
    if (frame.functionName === 'nextTick' && frame.url === 'node:internal/process/task_queues') nextTickMs += deltaMs
  })
  return { busyUs: (busyMs * 1000) / requests, nextTickUs: (nextTickMs * 1000) / requests }
}

/**
 * A gateway answering the verify request 200 with the token's identity, and 401 without the token.
 * @param {string} name @param {number} port @param {{ path: string, headers: Record<string, string> }} target
 */
async function checkVerifyAnswers (name, port, target) {
  const allowed = await probe(port, target)
  if (allowed.status !== 200 || allowed.headers['x-user-id'] !== 'bench-user' || allowed.headers['cache-control'] !== 'no-store' ||
    typeof allowed.headers['x-request-id'] !== 'string') {
    throw new Error(`${name}: verify answered ${allowed.status} ${JSON.stringify(allowed.headers)} ${allowed.body.slice(0, 300)}`)
  }
  const { authorization: _token, ...anonymous } = target.headers
  const refused = await probe(port, { path: target.path, headers: anonymous })
  if (refused.status !== 401) throw new Error(`${name}: verify without the token answered ${refused.status}, expected 401`)
}

try {
  pinSelf()
  log(`placement: ${describePlacement()}`)
  log(`load average at start: ${loads()}`)
  spawnedAt.set('upstream', Date.now())
  const upstream = await startNodeServer('upstream', join(SERVERS_DIR, 'upstream.mjs'), { nodeArgs: args.baseline ? profArgs('upstream') : [] })
  const setup = await startNodeServer('setup', join(SETUP_DIR, 'prepare.mjs'), {
    ts, pin: false, env: { BENCH_SETUP: JSON.stringify({ dir, algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TOKEN_TTL_SECONDS, revoked: 0 }) }
  })
  const { keysDir, token } = setup.ready.tokens.EdDSA
  const config = writeGatewayConfig({ dir, name: 'eddsa', algorithm: 'EdDSA', keysDir, upstreamUrl: `http://127.0.0.1:${upstream.port}`, logLevel })
  const gatewayAt = (root, name) => {
    spawnedAt.set(name, Date.now())
    return startNodeServer(name, join(root, 'test', 'bench', 'servers', 'gateway-server.mjs'), {
      ts: { args: ts.args, env: ts.env }, nodeArgs: profArgs(name), env: { BENCH_GATEWAY_CONFIG: config }
    })
  }
  const gateways = await Promise.all([
    gatewayAt(resolve(SERVERS_DIR, '..', '..', '..'), 'gateway'),
    ...(args.before ? [gatewayAt(resolve(args.before), 'before')] : [])
  ])
  // What nginx's auth_request sends (test/nginx/forward-auth-config.mjs): the client's Authorization, the original
  // URI and method. /api is `auth: required` in the bench config.
  const verify = {
    path: '/auth/verify',
    headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/api/bench', 'x-forwarded-method': 'GET' }
  }
  /** @type {Array<{ name: string, port: number, pid: number | undefined, target: { path: string, headers?: Record<string, string>, floor?: true } }>} */
  const scenarios = gateways.map((gateway) => ({ name: gateway.name, port: gateway.port, pid: gateway.pid, target: verify }))
  // The same request (the upstream answers any GET 200 with its 100-byte body): the request side costs the same.
  if (args.baseline) scenarios.push({ name: 'upstream', port: upstream.port, pid: upstream.pid, target: { ...verify, floor: true } })

  /** @type {Map<string, number>} requests each process answered: all of them, and those of the measured rounds */
  const served = new Map()
  const measured = new Map()
  for (const scenario of scenarios) {
    if (!('floor' in scenario.target)) await checkVerifyAnswers(scenario.name, scenario.port, verify)
    else await assertProbe(scenario.name, scenario.port, scenario.target)
    // Warmed one after the other: each gets the whole load generator.
    const warm = await runAutocannon(scenario.port, scenario.target, { seconds: warmup, connections })
    if (warm.errors > 0) throw new Error(`${scenario.name}: ${warm.errors} errors while warming up (${JSON.stringify(warm.statusCodes)})`)
    served.set(scenario.name, warm.requests)
    log(`${scenario.name} (pid ${scenario.pid}) warmed up ${warmup} s: ${Math.round(warm.rps)} req/s`)
  }
  // A second of idle between the warm-up and the rounds: where a profile summary starts counting (see below).
  await sleep(1000)
  const roundsAt = Date.now()
  log(`${rounds} rounds × ${seconds} s × ${scenarios.length} servers, autocannon -c ${connections}, gateways at --log-level=${logLevel}`)
  /** @type {Map<string, Array<{ rps: number, cpuUs: number, systemUs: number }>>} */
  const results = new Map(scenarios.map((scenario) => [scenario.name, []]))
  for (let round = 0; round < rounds; round++) {
    const shift = round % scenarios.length
    const order = scenarios.slice(shift).concat(scenarios.slice(0, shift))
    const parts = []
    for (const scenario of order) {
      const meter = startCpuMeter({ server: scenario.pid })
      const result = await runAutocannon(scenario.port, scenario.target, { seconds, connections })
      const cpu = meter.stop(result.requests)
      if (result.errors > 0) throw new Error(`${scenario.name}: ${result.errors} errors in round ${round + 1} (${JSON.stringify(result.statusCodes)})`)
      served.set(scenario.name, (served.get(scenario.name) ?? 0) + result.requests)
      measured.set(scenario.name, (measured.get(scenario.name) ?? 0) + result.requests)
      results.get(scenario.name)?.push({ rps: result.rps, cpuUs: cpu.total, systemUs: cpu.system })
      parts.push(`${scenario.name} ${cpu.total.toFixed(1)} µs (kernel ${cpu.system.toFixed(1)}) ${Math.round(result.rps)} req/s`)
    }
    log(`round ${round + 1}: ${parts.join('; ')}`)
  }

  console.log('\nserver     CPU µs/request median (kernel)   req/s median   CPU µs/request per round')
  for (const [name, runs] of results) {
    const cpu = `${median(runs.map((run) => run.cpuUs)).toFixed(1)} (${median(runs.map((run) => run.systemUs)).toFixed(1)})`
    console.log(`${name.padEnd(11)}${cpu.padStart(22)}${String(Math.round(median(runs.map((run) => run.rps)))).padStart(22)}   [${runs.map((run) => run.cpuUs.toFixed(1)).join(' ')}]`)
  }
  const after = results.get('gateway') ?? []
  for (const other of ['before', 'upstream']) {
    const runs = results.get(other)
    if (runs === undefined) continue
    // Paired by round (the two ran back to back): the per-round ratio drifts less than either figure.
    const ratios = after.map((run, index) => run.cpuUs / (runs[index]?.cpuUs ?? Number.NaN))
    console.log(`gateway / ${other}, CPU per request: median ${median(ratios).toFixed(3)} [${ratios.map((ratio) => ratio.toFixed(2)).join(' ')}]`)
  }
  log(`load average at end: ${loads()}`)
  if (args['cpu-prof']) {
    // The profiles are written as the processes exit.
    await stopAllChildren()
    for (const scenario of scenarios) {
      // Half a second before the rounds began: inside the idle second, whatever the profiler's few ms of delay.
      const skip = (roundsAt - (spawnedAt.get(scenario.name) ?? roundsAt)) / 1000 - 0.5
      const requests = measured.get(scenario.name) ?? 0
      const folder = resolve(args['cpu-prof'], scenario.name)
      const figures = profileFigures(folder, skip, requests)
      log(`${scenario.name} (pid ${scenario.pid}): profile in ${folder}; the measured rounds: profile-summary.mjs FILE 40 ${skip.toFixed(1)} ` +
        `--requests=${requests} (all ${served.get(scenario.name) ?? 0} requests: skip 0)` +
        (figures === undefined ? '' : `; busy ${figures.busyUs.toFixed(1)} µs/request, of which process.nextTick itself ${figures.nextTickUs.toFixed(1)}`))
    }
  }
} finally {
  await stopAllChildren()
  rmSync(dir, { recursive: true, force: true })
}
