// Everything the scenarios run against, started once per bench run on loopback: upstream, plain proxy and its peers
// (http-proxy, fast-proxy-lite), nginx (plain and in front of the gateway's /auth/verify), the test database, keys
// and tokens, a trusted external issuer, the gateways in their configurations, the auth endpoints (database and
// in-memory store). `env.pids` names each server's process for the CPU-per-request measurement (lib/cpu.mjs). A piece that cannot
// start does not stop the run: its scenarios are reported as skipped with the reason (`env.missing`).
// `env.processes` lists every long-running process the bench started (servers, nginx, the databases) and
// `env.dependsOn` what each needs to answer (a proxy its upstream, a store-backed server its database): while a
// scenario is measured, everything it does not need is frozen (lib/isolation.mjs). `env.cores` says where each was
// pinned, for the read-back (lib/placement.mjs verifyPlacement); `env.nodeServers` the Node ones (--cpu-prof).
import { join } from 'node:path'
import { startTestDatabase } from '../../kit/mongo/test-database.mjs'
import { ensureNginx, startNginx } from './nginx.mjs'
import { ALL_CORES, pinPid, SERVER_CORE } from './placement.mjs'
import { SERVERS_DIR, SETUP_DIR, startNodeServer } from './servers.mjs'
import { typescriptNode } from '@authgate/test-kit/node-args'
import { AUDIENCE, ISSUER, TOKEN_TTL_SECONDS, writeGatewayConfig } from './gateway-config.mjs'
import { startGatewayWorkers } from './gateway-workers.mjs'
import { startOtherDatabases } from './database-matrix.mjs'
import { probe } from './load.mjs'

export const ALGORITHMS = ['EdDSA', 'HS256', 'ES256', 'RS256']
export const BENCH_USER = { email: 'bench@example.com', password: 'bench password, long enough' }
export const DATABASE = 'authgate_bench'
export const REVOCATION_DATABASE = 'authgate_bench_revocation'

/** How many times the external issuer's JWKS has been fetched (servers/jwks-issuer.mjs). */
async function jwksHits (port) {
  const answer = await probe(port, { path: '/jwks-hits' })
  return answer.status === 200 ? Number(JSON.parse(answer.body).hits) : Number.NaN
}

/**
 * @param {{ dir: string, revoked: number, log: (line: string) => void, cpuProfDir?: string,
 *   onDatabase: (starting: Promise<{ stop: () => Promise<void> }>) => void }} options
 *   cpuProfDir: profile every Node server with --cpu-prof, each into `cpuProfDir/<name>/` (written when it stops);
 *   onDatabase: called as each database starts (the main one, then one per other server), so an interrupted set-up
 *   still stops it
 */
export async function startEnvironment ({ dir, revoked, log, cpuProfDir, onDatabase }) {
  /** @type {Record<string, string>} why a piece is missing, by piece name */
  const missing = {}
  /** @type {Record<string, any>} */
  const env = { missing, ports: {}, pids: {}, tokens: {}, notes: [], processes: {}, dependsOn: {}, cores: {}, nodeServers: {} }
  /**
   * Records a started process: `needs` what it cannot answer without, `cores` where it is pinned (undefined: not
   * pinned, e.g. a MONGODB_URL server the bench did not start), `node` a Node server (profiled with --cpu-prof).
   */
  const track = (/** @type {string} */ name, /** @type {number | undefined} */ pid, { needs = [], cores = SERVER_CORE, node = true } = {}) => {
    if (pid === undefined) return
    env.processes[name] = pid
    env.dependsOn[name] = needs
    env.cores[name] = cores
    if (node) env.nodeServers[name] = pid
  }
  const profArgs = (/** @type {string} */ name) => cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, name)}`] : []
  const attempt = async (piece, start) => {
    try { return await start() } catch (error) {
      missing[piece] = String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'failed'
      log(`! ${piece}: ${missing[piece]}`)
      return undefined
    }
  }
  const ts = typescriptNode()
  if ('error' in ts) missing.typescript = ts.error

  const upstream = await startNodeServer('upstream', join(SERVERS_DIR, 'upstream.mjs'), { nodeArgs: profArgs('upstream') })
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`
  env.ports.upstream = upstream.port
  env.pids.upstream = upstream.pid
  track('upstream', upstream.pid)

  const nginxBin = ensureNginx(log)
  const plainProxy = (/** @type {string} */ name) => attempt(name, () => startNodeServer(name, join(SERVERS_DIR, `${name}.mjs`), { nodeArgs: profArgs(name), env: { UPSTREAM_URL: upstreamUrl } }))
  const [proxy, httpProxy, fastProxy, issuer, nginx, db] = await Promise.all([
    plainProxy('proxy-plain'),
    plainProxy('node-http-proxy'),
    plainProxy('fast-proxy-lite'),
    attempt('external-issuer', () => startNodeServer('external-issuer', join(SERVERS_DIR, 'jwks-issuer.mjs'), {
      nodeArgs: profArgs('external-issuer'),
      env: { BENCH_ISSUER: JSON.stringify({ audience: AUDIENCE, ttlSeconds: TOKEN_TTL_SECONDS }) }
    })),
    attempt('nginx', async () => {
      if (!nginxBin.bin) throw new Error(nginxBin.reason)
      return startNginx({ bin: nginxBin.bin, dir: join(dir, 'nginx'), upstreamPort: upstream.port, core: SERVER_CORE })
    }),
    // Pinned only once set-up is over: seeding runs faster on both cores.
    attempt('database', () => {
      const starting = startTestDatabase({ log })
      onDatabase(starting)
      return starting
    })
  ])
  for (const [name, server] of /** @type {const} */ ([['proxy-plain', proxy], ['node-http-proxy', httpProxy], ['fast-proxy-lite', fastProxy], ['nginx', nginx]])) {
    env.ports[name] = server?.port
    env.pids[name] = server?.pid
    track(name, server?.pid, { needs: ['upstream'], node: name !== 'nginx' })
  }
  track('external-issuer', issuer?.pid)
  if (issuer) env.external = { token: issuer.ready.token, jwksHits: async () => jwksHits(issuer.port) }
  env.db = db
  if (db) log(`database: ${db.kind} at ${db.url}`)
  if ('error' in ts) return env

  const mongo = db ? { url: db.url, database: DATABASE } : undefined
  const revocationMongo = db ? { url: db.url, database: REVOCATION_DATABASE } : undefined
  log(`setup: keys and tokens for ${ALGORITHMS.join(', ')}${db ? `; bench user; ${revoked} revoked sessions (in the background)` : ''}`)
  const seeding = revocationMongo
    ? attempt('seed', () => startNodeServer('seed', join(SETUP_DIR, 'seed.mjs'), {
      pin: false, timeoutMs: 300_000, env: { BENCH_SEED: JSON.stringify({ ...revocationMongo, count: revoked }) }
    }))
    : Promise.resolve(undefined)
  const prepared = await attempt('setup', () => startNodeServer('setup', join(SETUP_DIR, 'prepare.mjs'), {
    ts,
    pin: false,
    timeoutMs: 120_000,
    env: {
      BENCH_SETUP: JSON.stringify({
        dir, algorithms: ALGORITHMS, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TOKEN_TTL_SECONDS, revoked: db ? revoked : 0,
        mongo: mongo ? { ...mongo, user: BENCH_USER } : undefined
      })
    }
  }))
  if (!prepared) { await seeding; return env }
  env.tokens = prepared.ready.tokens

  const gateway = (name, algorithm, extra = {}) => attempt(`gateway-${name}`, async () => {
    const config = writeGatewayConfig({ dir, name, algorithm, keysDir: env.tokens[algorithm].keysDir, upstreamUrl, ...extra })
    return startNodeServer(`gateway-${name}`, join(SERVERS_DIR, 'gateway-server.mjs'), { ts, nodeArgs: profArgs(`gateway-${name}`), env: { BENCH_GATEWAY_CONFIG: config } })
  })
  const otherDatabases = startOtherDatabases({ ts, keysDir: env.tokens.EdDSA.keysDir, user: BENCH_USER, database: DATABASE, log, onDatabase, profArgs })
  const started = await Promise.all([
    ...ALGORITHMS.map((algorithm) => gateway(algorithm.toLowerCase(), algorithm)),
    seeding.then((seeded) => {
      if (!seeded) return undefined
      env.seeded = seeded.ready
      log(`seeded ${seeded.ready.revoked} revoked sessions`)
      return gateway('revocation', 'EdDSA', { mongo: revocationMongo })
    }),
    attempt('gateway-workers', () => startGatewayWorkers({ dir, ts, upstreamUrl, keysDir: env.tokens.EdDSA.keysDir, nodeArgs: profArgs('gateway-workers') })),
    // login-storm: logins and Bearer traffic on one gateway, so the database store (the bench user) and no rate limit.
    mongo ? gateway('login', 'EdDSA', { mongo, rateLimit: false }) : undefined,
    mongo
      ? attempt('auth-endpoints', () => startNodeServer('auth-endpoints', join(SERVERS_DIR, 'auth-server.mjs'), {
        ts,
        nodeArgs: profArgs('auth-endpoints'),
        env: { BENCH_AUTH: JSON.stringify({ mongoUrl: mongo.url, database: mongo.database, algorithm: 'EdDSA', keysDir: env.tokens.EdDSA.keysDir, issuer: ISSUER, audience: AUDIENCE }) }
      }))
      : undefined,
    // gateway-auth-external: the EdDSA gateway's configuration plus the external issuer, in a process of its own so
    // gateway-auth-eddsa keeps measuring a gateway without one.
    issuer
      ? gateway('external', 'EdDSA', {
        trustedIssuers: [{ issuer: issuer.ready.issuer, jwksUrl: issuer.ready.jwksUrl, audience: AUDIENCE, algorithms: ['EdDSA'], claims: { roles: 'roles' } }]
      })
      : undefined,
    // refresh-memory: the auth endpoints on the in-memory store (no database), the bench user added to it.
    attempt('auth-memory', () => startNodeServer('auth-memory', join(SERVERS_DIR, 'auth-server.mjs'), {
      ts,
      nodeArgs: profArgs('auth-memory'),
      env: { BENCH_AUTH: JSON.stringify({ memory: true, user: BENCH_USER, algorithm: 'EdDSA', keysDir: env.tokens.EdDSA.keysDir, issuer: ISSUER, audience: AUDIENCE }) }
    }))
  ])
  const names = [...ALGORITHMS.map((algorithm) => `gateway-${algorithm.toLowerCase()}`), 'gateway-revocation', 'gateway-workers', 'gateway-login', 'auth-endpoints', 'gateway-external', 'auth-memory']
  /** @type {Record<string, string[]>} what each of them cannot answer without */
  const needs = {
    'gateway-revocation': ['upstream', 'database'],
    'gateway-login': ['upstream', 'database'],
    'auth-endpoints': ['database'],
    'gateway-external': ['upstream', 'external-issuer'],
    'auth-memory': []
  }
  names.forEach((name, index) => {
    env.ports[name] = started[index]?.port
    env.pids[name] = started[index]?.pid
    track(name, started[index]?.pid, { needs: needs[name] ?? ['upstream'], cores: name === 'gateway-workers' ? ALL_CORES : SERVER_CORE })
  })
  if (!issuer) missing['gateway-external'] ??= `no external issuer (${missing['external-issuer']})`
  // nginx-forward-auth: nginx in front of the upstream, asking the EdDSA gateway's /auth/verify for every request.
  const verifier = env.ports['gateway-eddsa']
  const forwardAuth = verifier === undefined
    ? undefined
    : await attempt('nginx-forward-auth', async () => {
      if (!nginxBin.bin) throw new Error(nginxBin.reason)
      return startNginx({ bin: nginxBin.bin, dir: join(dir, 'nginx-forward-auth'), upstreamPort: upstream.port, authgatePort: verifier, core: SERVER_CORE })
    })
  if (verifier === undefined) missing['nginx-forward-auth'] ??= `no EdDSA gateway (${missing['gateway-eddsa'] ?? 'not started'})`
  env.ports['nginx-forward-auth'] = forwardAuth?.port
  env.pids['nginx-forward-auth'] = forwardAuth?.pid
  track('nginx-forward-auth', forwardAuth?.pid, { needs: ['upstream', 'gateway-eddsa'], node: false })
  // What the revocation gateway logged, for the failure report when its list does not fill.
  env.revocationLog = () => started[ALGORITHMS.length]?.stdoutTail ?? []
  if (db?.pid !== undefined) {
    const astray = pinPid(db.pid, SERVER_CORE)
    if (astray.length) log(`! database: ${astray.length} threads could not be pinned to core ${SERVER_CORE}`)
  }
  // Not frozen, not pinned when the bench did not start it (MONGODB_URL): the report says so (run.mjs).
  track('database', db?.pid, { node: false })
  env.workers = started[ALGORITHMS.length + 1]
  if (!db) for (const name of ['gateway-revocation', 'gateway-login', 'auth-endpoints']) missing[name] ??= `no database (${missing.database})`
  else if (!env.seeded) missing['gateway-revocation'] ??= `seeding failed (${missing.seed})`
  // Started beside the gateways (a JVM takes its time): refresh, refresh-storm and login again on every other test
  // database server, for the side-by-side table.
  env.otherDatabases = await otherDatabases
  for (const other of env.otherDatabases) {
    track(`database@${other.server}`, other.databasePid, { node: false })
    track(`auth-endpoints@${other.server}`, other.pid, { needs: [`database@${other.server}`] })
  }
  return env
}
