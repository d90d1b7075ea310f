#!/usr/bin/env node
// `node test/bench/tools/compare.mjs [--rounds=5] [--seconds=4] [--warmup=15] [--before=DIR] [--cpu-prof=DIR] [--baselines]
//   [--only=a,b] [--log-level=warn|info]`
// A targeted measurement, not the suite: only the upstream, the plain @fastify/http-proxy and the EdDSA gateway
// (this checkout's, and with --before the one of another checkout, e.g. a copy taken before a change) are started,
// and `proxy-plain`, `gateway-public`, `gateway-auth-eddsa` (and their `before:` twins) are measured in interleaved
// rounds, the order rotated each round. On a shared machine absolute req/s drift by tens of percent between
// minutes; the ratio to proxy-plain within one round drifts much less, so each round's ratios are computed and
// their medians reported, with each server's own CPU time per answered request (user + kernel, from /proc), which
// compares servers only when each has its core to itself (under other load it rises too, unevenly). --baselines adds upstream-direct,
// nginx-proxy (nginx's CPU includes its worker) and the peers fast-proxy-lite and node-http-proxy (the same server files as
// `pnpm bench`), so `cpu:gateway-auth-eddsa/fast-proxy-lite`, the issue #18 target, is read round by round. Each scenario is
// warmed up --warmup seconds (default 15: a fresh server's first 10–15 s of load cost 1.5–2.5× its steady CPU per
// request, docs/benchmarks.md) before the rounds. --cpu-prof profiles the proxies and the gateways (one folder per process,
// a .cpuprofile written when it stops); summarise with tools/profile-summary.mjs. --log-level=info runs the gateways at the level operators run them,
// so the cost of one access line per request is in the figures (the default, warn, leaves logging out). Loopback only;
// every run bounded by --seconds.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { killAllChildrenNow, stopAllChildren } from '../lib/children.mjs'
import { describePlacement, LOAD_CORE, pinningEnabled, pinSelf, SERVER_CORE, verifyPlacement } from '../lib/placement.mjs'
import { assertProbe, probe, runAutocannon } from '../lib/load.mjs'
import { SERVERS_DIR, SETUP_DIR, startNodeServer } from '../lib/servers.mjs'
import { typescriptNode } from '@authgate/test-kit/node-args'
import { AUDIENCE, ISSUER, TOKEN_TTL_SECONDS, writeGatewayConfig } from '../lib/gateway-config.mjs'
import { median } from '../lib/stats.mjs'
import { startCpuMeter, startOtherLoadMeter } from '../lib/cpu.mjs'
import { ensureNginx, startNginx } from '../lib/nginx.mjs'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    before: { type: 'string' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
    baselines: { type: 'boolean', default: false }
  }
})
const rounds = Math.min(20, Math.max(1, Number(args.rounds)))
const seconds = Math.min(30, Math.max(1, Number(args.seconds)))
const warmupSeconds = Math.min(60, Math.max(1, Number(args.warmup)))
const connections = Number(args.connections)
const logLevel = /** @type {string} */ (args['log-level'])
if (!['warn', 'info'].includes(logLevel)) throw new Error(`--log-level: warn or info, not ${logLevel}`)
const startedAt = Date.now()
const log = (line) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s] ${line}`)
const dir = mkdtempSync(join(tmpdir(), 'authgate-compare-'))
process.once('exit', killAllChildrenNow)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { void stopAllChildren().finally(() => { rmSync(dir, { recursive: true, force: true }); process.exit(130) }) })
}

const ts = typescriptNode()
if ('error' in ts) throw new Error(ts.error)
const profArgs = (name) => args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'], name)}`] : []

try {
  log(`load average at start: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
  const upstream = await startNodeServer('upstream', join(SERVERS_DIR, 'upstream.mjs'))
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`
  const setup = await startNodeServer('setup', join(SETUP_DIR, 'prepare.mjs'), {
    ts, pin: false, env: { BENCH_SETUP: JSON.stringify({ dir, algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TOKEN_TTL_SECONDS, revoked: 0 }) }
  })
  const { keysDir, token } = setup.ready.tokens.EdDSA
  const config = writeGatewayConfig({ dir, name: 'eddsa', algorithm: 'EdDSA', keysDir, upstreamUrl, logLevel })
  const gatewayAt = (root, name) => {
    const rootTs = { args: ts.args, env: ts.env }
    return startNodeServer(name, join(root, 'test', 'bench', 'servers', 'gateway-server.mjs'), {
      ts: rootTs, nodeArgs: profArgs(name), env: { BENCH_GATEWAY_CONFIG: config }
    })
  }
  const plainProxy = (/** @type {string} */ name) => startNodeServer(name, join(SERVERS_DIR, `${name}.mjs`), { nodeArgs: profArgs(name), env: { UPSTREAM_URL: upstreamUrl } })
  const [proxy, gateway, before, fastProxy, httpProxy] = await Promise.all([
    plainProxy('proxy-plain'),
    gatewayAt(resolve(SERVERS_DIR, '..', '..', '..'), 'gateway'),
    args.before ? gatewayAt(resolve(args.before), 'gateway-before') : undefined,
    args.baselines ? plainProxy('fast-proxy-lite') : undefined,
    args.baselines ? plainProxy('node-http-proxy') : undefined
  ])
  const nginxBin = args.baselines ? ensureNginx(log) : undefined
  if (nginxBin !== undefined && !nginxBin.bin) throw new Error(`nginx: ${nginxBin.reason}`)
  const nginx = nginxBin?.bin ? await startNginx({ bin: nginxBin.bin, dir: join(dir, 'nginx'), upstreamPort: upstream.port, core: SERVER_CORE }) : undefined
  // Only now: children inherit their spawner's affinity, so the servers started on both cores (each pinned once ready).
  pinSelf()
  const servers = { upstream, 'proxy-plain': proxy, gateway, 'gateway-before': before, 'fast-proxy-lite': fastProxy, 'node-http-proxy': httpProxy, nginx }
  const placed = pinningEnabled()
    ? verifyPlacement([
      { name: 'load generator (this process)', pid: process.pid, cores: LOAD_CORE, tree: false },
      ...Object.entries(servers).filter(([, server]) => server !== undefined).map(([name, server]) => ({ name, pid: server?.pid, cores: SERVER_CORE }))
    ])
    : undefined
  log(`placement: ${describePlacement(placed)}`)
  const bearer = { path: '/api/bench', headers: { authorization: `Bearer ${token}` } }
  /** @type {Array<{ name: string, port: number, pid?: number, target: { path: string, headers?: Record<string, string> }, auth?: boolean }>} */
  let scenarios = [
    { name: 'proxy-plain', port: proxy.port, pid: proxy.pid, target: { path: '/api/bench' } },
    ...(args.baselines ? [{ name: 'upstream-direct', port: upstream.port, pid: upstream.pid, target: { path: '/api/bench' } }] : []),
    ...(nginx ? [{ name: 'nginx-proxy', port: nginx.port, pid: nginx.pid, target: { path: '/api/bench' } }] : []),
    ...(fastProxy ? [{ name: 'fast-proxy-lite', port: fastProxy.port, pid: fastProxy.pid, target: { path: '/api/bench' } }] : []),
    ...(httpProxy ? [{ name: 'node-http-proxy', port: httpProxy.port, pid: httpProxy.pid, target: { path: '/api/bench' } }] : []),
    { name: 'gateway-public', port: gateway.port, pid: gateway.pid, target: { path: '/public/bench' } },
    { name: 'gateway-auth-eddsa', port: gateway.port, pid: gateway.pid, target: bearer, auth: true },
    ...(before
      ? [
          { name: 'before:gateway-public', port: before.port, pid: before.pid, target: { path: '/public/bench' } },
          { name: 'before:gateway-auth-eddsa', port: before.port, pid: before.pid, target: bearer, auth: true }
        ]
      : [])
  ]
  if (args.only) {
    const only = args.only.split(',')
    scenarios = scenarios.filter((scenario) => scenario.name === 'proxy-plain' || only.includes(scenario.name))
  }
  /** @type {Map<number | undefined, number>} requests answered per server process (for µs/request from a profile) */
  const served = new Map()
  for (const scenario of scenarios) {
    if (scenario.auth) {
      const anonymous = await probe(scenario.port, { path: '/api/bench' })
      if (anonymous.status !== 401) throw new Error(`${scenario.name}: anonymous request answered ${anonymous.status}, expected 401`)
    }
    await assertProbe(scenario.name, scenario.port, scenario.target)
    const warmup = await runAutocannon(scenario.port, scenario.target, { seconds: warmupSeconds, connections })
    served.set(scenario.pid, (served.get(scenario.pid) ?? 0) + warmup.requests)
  }
  log(`warmed up; ${rounds} rounds × ${seconds} s × ${scenarios.length} scenarios, autocannon -c ${connections}`)
  /** @type {Map<string, Array<{ rps: number, p99: number, ratio: number, cpuUs: number, systemUs: number }>>} */
  const results = new Map(scenarios.map((scenario) => [scenario.name, []]))
  for (let round = 0; round < rounds; round++) {
    const order = scenarios.slice(round % scenarios.length).concat(scenarios.slice(0, round % scenarios.length))
    /** @type {Record<string, { rps: number, p99: number, errors: number, requests: number, cpuUs: number, systemUs: number }>} */
    const sample = {}
    // CPU the machine spent outside this tool and its servers during the round (% of a core): above a few % the
    // round measured beside other work.
    const others = startOtherLoadMeter()
    for (const scenario of order) {
      // The server's own CPU time per answered request (lib/cpu.mjs, as `pnpm bench` measures it).
      const meter = startCpuMeter({ server: scenario.pid })
      const result = await runAutocannon(scenario.port, scenario.target, { seconds, connections })
      const cpu = meter.stop(result.requests)
      served.set(scenario.pid, (served.get(scenario.pid) ?? 0) + result.requests)
      sample[scenario.name] = { ...result, cpuUs: cpu.total, systemUs: cpu.system }
    }
    const base = sample['proxy-plain']?.rps ?? Number.NaN
    const line = scenarios.map((scenario) => {
      const entry = /** @type {{ rps: number, p99: number, errors: number, cpuUs: number, systemUs: number }} */ (sample[scenario.name])
      if (entry.errors > 0) log(`! ${scenario.name}: ${entry.errors} errors`)
      results.get(scenario.name)?.push({ rps: entry.rps, p99: entry.p99, ratio: entry.rps / base, cpuUs: entry.cpuUs, systemUs: entry.systemUs })
      return `${scenario.name} ${Math.round(entry.rps)} (${(entry.rps / base).toFixed(2)}; ${Math.round(entry.cpuUs)} µs CPU/req)`
    })
    log(`round ${round + 1}: ${line.join(', ')}; other work on the machine ${Math.round(others.stop())} % of a core`)
  }
  console.log('\nscenario                   median req/s  ratio to proxy-plain (median; per round)   p99 ms   server CPU µs/req (median, of which kernel; per round)')
  for (const [name, runs] of results) {
    const ratios = `${median(runs.map((run) => run.ratio)).toFixed(3)}  [${runs.map((run) => run.ratio.toFixed(2)).join(' ')}]`
    const cpu = `${Math.round(median(runs.map((run) => run.cpuUs)))} (system ${Math.round(median(runs.map((run) => run.systemUs)))})  [${runs.map((run) => Math.round(run.cpuUs)).join(' ')}]`
    console.log(`${name.padEnd(27)}${String(Math.round(median(runs.map((run) => run.rps)))).padStart(12)}  ${ratios.padEnd(42)}${String(median(runs.map((run) => run.p99))).padStart(7)}   ${cpu}`)
  }
  if (args['cpu-prof']) {
    for (const [name, server] of Object.entries(servers)) {
      // nginx is not Node; the upstream is not profiled here.
      if (server === undefined || name === 'nginx' || name === 'upstream') continue
      log(`${name} (pid ${server.pid}) answered ${served.get(server.pid) ?? 0} requests: profile in ${resolve(args['cpu-prof'], name)} (--requests=${served.get(server.pid) ?? 0})`)
    }
  }
  log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
} finally {
  await stopAllChildren()
  rmSync(dir, { recursive: true, force: true })
}
