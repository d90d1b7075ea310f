// The scenarios (names are a contract: docs/design.md#benchmarks), each a probe that must pass before anything is
// measured and a run of a given length. A scenario whose server could not start carries `skipped` instead.
// `needs` names the processes it talks to (environment.mjs `env.processes`); with their dependencies (a proxy's
// upstream, a store's database, the gateway nginx-forward-auth asks) they keep running while it is measured, and
// every other bench process is frozen (lib/isolation.mjs).
import { assertProbe, probe, runAutocannon } from './lib/load.mjs'
import { loginSessions, runRefresh, runRefreshStorm } from './lib/cookie-chain.mjs'
import { runLoginStorm } from './lib/login-storm.mjs'
import { sampleCores } from './lib/placement.mjs'
import { BENCH_USER } from './lib/environment.mjs'

export const CONNECTIONS = 50
const PREFIX = '/auth'
const COOKIE = 'authgate_rt'
// The auth endpoints wait on the database (argon2 too, for login): 50 concurrent clients only queue there, and on
// FerretDB's SQLite backend push rotations past the store's 3 s limit (503). These levels keep the store busy
// without measuring a queue.
const AUTH_CONNECTIONS = 16
// Refresh against a database: FerretDB v1 (SQLite) serves rotations fastest one at a time, and more at once only
// cost it CPU (tools/refresh-levels.mjs, idle machine, 10 s per level: 49 rotations/s at 1 session, 32 at 4, 18 at
// 16 with p99 1.8 s, 13 at 32 with p99 4.2 s and 503s). 16 sessions put p99 within reach of the store's 3 s deadline,
// and any other load on the core pushed a few rotations past it (503 in the full bench of 2026-12-03). 4 keep
// p99 near 0.2 s on FerretDB and reach 85 % of mongo-java-server's rate at 16 (333 against 390 rotations/s).
const REFRESH_SESSIONS = 4
// Without a database nothing queues behind the store: 16 sessions measured the client's round-trip latency (≈ 1 300/s
// with the server's core half idle), 64 reach the code's own ceiling (the server's core busy).
const MEMORY_REFRESH_SESSIONS = 64
// Storms: 5 sessions × 4 tabs (20 requests at once) had p99 4.4 s on FerretDB alone; 2 × 4 have 1.5 s (and 90 % of
// mongo-java-server's rate at 5 × 4). The tabs of one session still race as before: that is what the storm tests.
const STORM_SESSIONS = 2
const STORM_TABS = 4

// login-storm: Bearer requests at a fixed rate (well below saturation, so the p99 is latency, not a queue) while
// this many clients log in back to back on the same gateway.
const STORM_BEARER_RATE = 300
const STORM_LOGIN_CONCURRENCY = 8

/** For the report: how hard each kind of scenario is driven. */
export const LOAD_LEVELS = {
  http: `autocannon, ${CONNECTIONS} connections, no pipelining`,
  login: `autocannon, ${AUTH_CONNECTIONS} connections`,
  refresh: `${REFRESH_SESSIONS} sessions (${MEMORY_REFRESH_SESSIONS} on the in-memory store), each refreshing in a loop with the cookie the previous answer set`,
  'refresh-storm': `${STORM_SESSIONS} sessions × ${STORM_TABS} tabs refreshing with the same cookie at once, round after round`,
  'login-storm': `Bearer GETs at ${STORM_BEARER_RATE}/s (open loop) for the run's length alone, then as long again while ${STORM_LOGIN_CONCURRENCY} clients log in back to back; p99 of each phase`
}

/** Ratios of req/s (higher is better for the first). The first five are the ones docs/design.md#benchmarks names. */
export const RATIOS = [
  ['gateway-auth-eddsa', 'proxy-plain'],
  ['gateway-auth-hs256', 'proxy-plain'],
  ['gateway-public', 'proxy-plain'],
  ['gateway-auth-eddsa', 'nginx-proxy'],
  ['proxy-plain', 'upstream-direct'],
  ['gateway-auth-eddsa', 'fast-proxy-lite'],
  ['gateway-auth-eddsa', 'node-http-proxy'],
  ['gateway-auth-external', 'gateway-auth-eddsa'],
  ['nginx-forward-auth', 'nginx-proxy']
]

/**
 * Ratios of CPU µs per request (`cpu:A/B`; lower is better for the first), comparable only when each server has
 * its core to itself (under other load CPU per request rises too, and unevenly), so judged on an idle machine. `name.part` is one process of a scenario measured as several (nginx-forward-auth's `authgate`).
 * The issue #18 / #14 targets: eddsa/fast-proxy-lite ≤ 1, eddsa/nginx-proxy ≤ 2 (stretch), public/eddsa and
 * external/eddsa within 5 %, the verify endpoint's own CPU below a third of the gateway's full proxy hop.
 */
export const CPU_RATIOS = [
  ['gateway-auth-eddsa', 'fast-proxy-lite'],
  ['gateway-auth-eddsa', 'node-http-proxy'],
  ['gateway-auth-eddsa', 'proxy-plain'],
  ['gateway-auth-eddsa', 'nginx-proxy'],
  ['gateway-public', 'gateway-auth-eddsa'],
  ['gateway-public', 'proxy-plain'],
  ['gateway-auth-external', 'gateway-auth-eddsa'],
  ['nginx-forward-auth', 'nginx-proxy'],
  ['nginx-forward-auth.authgate', 'gateway-auth-eddsa'],
  ['proxy-plain', 'upstream-direct']
]

/**
 * A GET measured with autocannon. `cpu`: the processes whose CPU time per request is reported (`{ label: pid }`;
 * the server itself, or nginx and authgate for forward auth), see lib/cpu.mjs.
 */
function httpScenario (name, port, target, why, cpu, connections = CONNECTIONS) {
  if (port === undefined) return { name, skipped: why }
  return {
    name,
    cpu,
    probe: () => assertProbe(name, port, target),
    run: (seconds) => runAutocannon(port, target, { seconds, connections })
  }
}

/** A Bearer-protected GET: the probe also checks that a request without the token is refused, so auth is really on. */
function authScenario (name, port, token, why, cpu) {
  if (port === undefined) return { name, skipped: why }
  if (!token) return { name, skipped: 'no access token was minted (setup failed)' }
  const target = { path: '/api/bench', headers: { authorization: `Bearer ${token}` } }
  return {
    ...httpScenario(name, port, target, why, cpu),
    probe: async () => {
      const anonymous = await probe(port, { path: '/api/bench' })
      if (anonymous.status !== 401) throw new Error(`${name}: GET /api/bench without a token answered ${anonymous.status}, expected 401`)
      await assertProbe(name, port, target)
    }
  }
}

/**
 * gateway-auth-revocation: before measuring, tokens of the newest and the oldest seeded revoked session must be
 * refused (401), which proves the list really holds the seeded entries. The gateway loads the list asynchronously
 * after it starts, so the probe waits for it (`waitSeconds`).
 */
function revocationScenario (name, port, token, revokedTokens, why, gatewayLog, waitSeconds, cpu) {
  const base = authScenario(name, port, token, why, cpu)
  if (base.skipped !== undefined) return base
  if (!revokedTokens?.length) return { name, skipped: 'no tokens of revoked sessions were minted (setup failed)' }
  return {
    ...base,
    probe: async () => {
      const deadline = Date.now() + waitSeconds * 1000
      for (const revoked of revokedTokens) {
        for (;;) {
          const answer = await probe(port, { path: '/api/bench', headers: { authorization: `Bearer ${revoked}` } })
          if (answer.status === 401) break
          if (Date.now() > deadline) {
            throw new Error(`a token of a seeded revoked session still answered ${answer.status} after ${waitSeconds} s: the revocation list does not hold the seeded sessions${lastPollFailure(gatewayLog())}`)
          }
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
      }
      await base.probe?.()
    }
  }
}

/** The gateway's last `revocation_poll_failed` log message, if any, for the failure report. */
function lastPollFailure (lines) {
  for (const line of [...lines].reverse()) {
    try {
      const entry = JSON.parse(line)
      if (entry.event === 'revocation_poll_failed') return ` (gateway log: ${entry.msg}: ${entry.err?.message ?? ''})`
    } catch { /* not JSON */ }
  }
  return ''
}

/** Commands the auth-endpoints server's store has sent to its database so far (servers/auth-server.mjs). */
async function databaseCommands (port) {
  const answer = await probe(port, { path: '/bench/database-commands' })
  return answer.status === 200 ? Number(JSON.parse(answer.body).started) : Number.NaN
}

function refreshScenario (name, port, why, driver, cpu, refreshSessions = REFRESH_SESSIONS) {
  if (port === undefined) return { name, skipped: why }
  const state = { cookies: /** @type {Array<string | null>} */ ([]) }
  const sessions = driver === 'storm' ? STORM_SESSIONS : refreshSessions
  const drive = (seconds) => driver === 'storm'
    ? runRefreshStorm({ port, prefix: PREFIX, cookieName: COOKIE, state, tabs: STORM_TABS, seconds })
    : runRefresh({ port, prefix: PREFIX, cookieName: COOKIE, state, seconds })
  return {
    name,
    cpu,
    // Logging the sessions in is the probe: it fails loudly when login or the refresh cookie is broken.
    probe: async () => { state.cookies = await loginSessions({ port, prefix: PREFIX, cookieName: COOKIE, user: BENCH_USER, count: sessions }) },
    // Round trips per rotation: the commands the store sent during the run (the driver's command monitoring), over
    // the rotations. In a storm every tab's request counts, the losers' too. The server's background work in the
    // same window (one revocation poll per 5 s) is included: under 0.01 per rotation at these rates.
    run: async (seconds) => {
      const before = await databaseCommands(port)
      const started = Date.now()
      const sample = await drive(seconds)
      const elapsed = (Date.now() - started) / 1000
      const commands = (await databaseCommands(port)) - before
      const rotations = sample.rotationsPerSec * elapsed
      return { ...sample, roundTripsPerRotation: rotations > 0 ? commands / rotations : Number.NaN }
    }
  }
}

/**
 * gateway-auth-external: a token of the trusted external issuer. The gateway fetches the issuer's JWKS in the
 * background after it starts and answers 503 AUTH_KEYS_UNAVAILABLE until then, so the probe waits for the first 200
 * (bounded); each run then reports the JWKS fetches it caused (`jwksFetches`: 0 expected, keys are never fetched
 * per request), and a run with more than one fails (lib/rounds.mjs): the figure would measure fetching, not verifying.
 */
function externalScenario (name, port, external, why, cpu) {
  const base = authScenario(name, port, external?.token, why, cpu)
  if (base.skipped !== undefined || !external || !base.run) return base
  const run = base.run
  const target = { path: '/api/bench', headers: { authorization: `Bearer ${external.token}` } }
  return {
    ...base,
    probe: async () => {
      for (let attempt = 0; ; attempt++) {
        const answer = await probe(/** @type {number} */ (port), target)
        if (answer.status === 200) break
        if (answer.status !== 503 || attempt >= 100) throw new Error(`${name}: the external issuer's token answered ${answer.status} ${answer.body.slice(0, 200)}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      await base.probe?.()
    },
    run: async (seconds) => {
      const before = await external.jwksHits()
      const result = await run(seconds)
      return { ...result, jwksFetches: (await external.jwksHits()) - before }
    }
  }
}

/**
 * gateway-auth-workers: while it is measured, samples which core the primary and each worker run on, and reports
 * it (`placement`), so the result says whether `server.workers` really spread over the cores it was given.
 */
function workersScenario (scenario, workers) {
  if (scenario.skipped !== undefined || workers === undefined || !scenario.run) return scenario
  const run = scenario.run
  return {
    ...scenario,
    run: async (seconds) => {
      const pids = [workers.pid, ...workers.workerPids()]
      const sampler = sampleCores(pids)
      const result = await run(seconds)
      const seen = sampler.stop()
      const describe = (pid) => Object.entries(seen[pid] ?? {}).map(([core, n]) => `core ${core} ${n}×`).join(', ') || 'not seen'
      const roles = pids.map((pid, index) => `${index === 0 ? 'primary' : `worker ${index}`} (${describe(pid)})`)
      const spread = new Set(pids.slice(1).flatMap((pid) => Object.keys(seen[pid] ?? {})))
      return { ...result, placement: `${pids.length - 1} workers allowed on cores ${workers.allowed()}, ran on ${spread.size} core(s): ${roles.join('; ')}` }
    }
  }
}

/**
 * login-storm on a gateway with the database store and `rateLimit: false`: the probe checks that Bearer auth is on
 * (401 without the token, 2xx with it) and that the bench user can log in.
 */
function loginStormScenario (name, port, token, why, quick, cpu) {
  const base = authScenario(name, port, token, why)
  if (base.skipped !== undefined) return base
  return {
    name,
    // Per request of either kind (Bearer GETs and logins together): a figure to watch, not to compare.
    cpu,
    probe: async () => {
      await base.probe?.()
      await assertProbe(`${name} (login)`, port, { method: 'POST', path: `${PREFIX}/login`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_USER) })
    },
    // Two phases per run: --quick halves each so the whole smoke test stays within its 2 minutes.
    run: (seconds) => runLoginStorm({
      port, token, user: BENCH_USER, prefix: PREFIX, path: '/api/bench', rate: STORM_BEARER_RATE, concurrency: STORM_LOGIN_CONCURRENCY, seconds: quick ? seconds / 2 : seconds
    })
  }
}

/** `scenario` with the processes it needs (see the top of this file); a skipped one is left as it is. */
function needing (needs, scenario) {
  return scenario.skipped === undefined ? { ...scenario, needs } : scenario
}

/**
 * @param {Record<string, any>} env from startEnvironment
 * @param {{ quick: boolean }} plan --quick waits less for the revocation list to fill (the 2-minute budget)
 */
export function defineScenarios (env, { quick }) {
  const { ports, missing, tokens } = env
  const why = (piece) => missing[piece] ?? `${piece} did not start`
  const target = { path: '/api/bench' }
  const authWhy = why('auth-endpoints')
  const pid = (/** @type {string} */ piece) => ({ [piece]: env.pids?.[piece] })
  return [
    needing(['upstream'], httpScenario('upstream-direct', ports.upstream, target, why('upstream'), pid('upstream'))),
    needing(['proxy-plain'], httpScenario('proxy-plain', ports['proxy-plain'], target, why('proxy-plain'), pid('proxy-plain'))),
    needing(['node-http-proxy'], httpScenario('node-http-proxy', ports['node-http-proxy'], target, why('node-http-proxy'), pid('node-http-proxy'))),
    needing(['fast-proxy-lite'], httpScenario('fast-proxy-lite', ports['fast-proxy-lite'], target, why('fast-proxy-lite'), pid('fast-proxy-lite'))),
    needing(['nginx'], httpScenario('nginx-proxy', ports.nginx, target, why('nginx'), pid('nginx'))),
    needing(['gateway-eddsa'], httpScenario('gateway-public', ports['gateway-eddsa'], { path: '/public/bench' }, why('gateway-eddsa'), pid('gateway-eddsa'))),
    needing(['gateway-eddsa'], authScenario('gateway-auth-eddsa', ports['gateway-eddsa'], tokens.EdDSA?.token, why('gateway-eddsa'), pid('gateway-eddsa'))),
    // The issuer answers the run's JWKS-fetch count (and a key refresh, should the gateway need one).
    needing(['gateway-external', 'external-issuer'], externalScenario('gateway-auth-external', ports['gateway-external'], env.external, why('gateway-external'), pid('gateway-external'))),
    // nginx proxies, the EdDSA gateway verifies (auth_request): both processes' CPU, apart and summed.
    needing(['nginx-forward-auth', 'gateway-eddsa'], authScenario('nginx-forward-auth', ports['nginx-forward-auth'], tokens.EdDSA?.token, why('nginx-forward-auth'),
      { nginx: env.pids?.['nginx-forward-auth'], authgate: env.pids?.['gateway-eddsa'] })),
    needing(['gateway-hs256'], authScenario('gateway-auth-hs256', ports['gateway-hs256'], tokens.HS256?.token, why('gateway-hs256'), pid('gateway-hs256'))),
    needing(['gateway-es256'], authScenario('gateway-auth-es256', ports['gateway-es256'], tokens.ES256?.token, why('gateway-es256'), pid('gateway-es256'))),
    needing(['gateway-rs256'], authScenario('gateway-auth-rs256', ports['gateway-rs256'], tokens.RS256?.token, why('gateway-rs256'), pid('gateway-rs256'))),
    // The database keeps running: the list polls it every 5 s (a stalled poll would only log, as no fail-closed
    // budget is configured, but the poll's cost on the shared core is part of what this scenario measures).
    needing(['gateway-revocation', 'database'], revocationScenario('gateway-auth-revocation', ports['gateway-revocation'], tokens.EdDSA?.token, tokens.EdDSA?.revokedTokens, why('gateway-revocation'),
      () => env.revocationLog?.() ?? [], quick ? 20 : 90, pid('gateway-revocation'))),
    // The primary and its workers (the whole process tree).
    needing(['gateway-workers'], workersScenario(authScenario('gateway-auth-workers', ports['gateway-workers'], tokens.EdDSA?.token, why('gateway-workers'), pid('gateway-workers')), env.workers)),
    needing(['auth-endpoints', 'database'], refreshScenario('refresh', ports['auth-endpoints'], authWhy, 'refresh', pid('auth-endpoints'))),
    // The same rotation on the in-memory store: the code's own ceiling, no database round trip.
    needing(['auth-memory'], refreshScenario('refresh-memory', ports['auth-memory'], why('auth-memory'), 'refresh', pid('auth-memory'), MEMORY_REFRESH_SESSIONS)),
    needing(['auth-endpoints', 'database'], refreshScenario('refresh-storm', ports['auth-endpoints'], authWhy, 'storm', pid('auth-endpoints'))),
    needing(['auth-endpoints', 'database'], httpScenario('login', ports['auth-endpoints'], {
      method: 'POST', path: `${PREFIX}/login`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_USER)
    }, authWhy, pid('auth-endpoints'), AUTH_CONNECTIONS)),
    needing(['gateway-login', 'database'], loginStormScenario('login-storm', ports['gateway-login'], tokens.EdDSA?.token, why('gateway-login'), quick, pid('gateway-login'))),
    // The same three on every other test database server, for the side-by-side table (lib/database-matrix.mjs).
    ...(env.otherDatabases ?? []).flatMap(({ server, port, pid: serverPid, missing: down }) => {
      const otherWhy = down ?? authWhy
      const cpu = { [`auth-endpoints@${server}`]: serverPid }
      const needs = [`auth-endpoints@${server}`, `database@${server}`]
      return [
        needing(needs, refreshScenario(`refresh@${server}`, port, otherWhy, 'refresh', cpu)),
        needing(needs, refreshScenario(`refresh-storm@${server}`, port, otherWhy, 'storm', cpu)),
        needing(needs, httpScenario(`login@${server}`, port, {
          method: 'POST', path: `${PREFIX}/login`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_USER)
        }, otherWhy, cpu, AUTH_CONNECTIONS))
      ]
    })
  ]
}
