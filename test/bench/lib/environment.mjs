// Everything the scenarios run against, started once per bench run on loopback: upstream, plain proxy, nginx, the
// test database, keys and tokens, the gateways in their configurations, the auth endpoints. A piece that cannot
// start does not stop the run: its scenarios are reported as skipped with the reason (`env.missing`).
import { join } from 'node:path'
import { startTestDatabase } from '../../mongo/test-database.mjs'
import { ensureNginx, startNginx } from './nginx.mjs'
import { pinPid, SERVER_CORE } from './placement.mjs'
import { SERVERS_DIR, SETUP_DIR, startNodeServer } from './servers.mjs'
import { typescriptNode } from './typescript.mjs'
import { AUDIENCE, ISSUER, TOKEN_TTL_SECONDS, writeGatewayConfig } from './gateway-config.mjs'
import { startGatewayWorkers } from './gateway-workers.mjs'
import { startOtherDatabases } from './database-matrix.mjs'

export const ALGORITHMS = ['EdDSA', 'HS256', 'ES256', 'RS256']
export const BENCH_USER = { email: 'bench@example.com', password: 'bench password, long enough' }
export const DATABASE = 'authgate_bench'
export const REVOCATION_DATABASE = 'authgate_bench_revocation'

/**
 * @param {{ dir: string, revoked: number, log: (line: string) => void, cpuProfDir?: string,
 *   onDatabase: (starting: Promise<{ stop: () => Promise<void> }>) => void }} options
 *   cpuProfDir: profile the EdDSA gateway (gateway-public, gateway-auth-eddsa) with --cpu-prof into this folder;
 *   onDatabase: called as each database starts (the main one, then one per other server), so an interrupted set-up
 *   still stops it
 */
export async function startEnvironment ({ dir, revoked, log, cpuProfDir, onDatabase }) {
  /** @type {Record<string, string>} why a piece is missing, by piece name */
  const missing = {}
  /** @type {Record<string, any>} */
  const env = { missing, ports: {}, tokens: {}, notes: [] }
  const attempt = async (piece, start) => {
    try { return await start() } catch (error) {
      missing[piece] = String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'failed'
      log(`! ${piece}: ${missing[piece]}`)
      return undefined
    }
  }
  const ts = typescriptNode()
  if ('error' in ts) missing.typescript = ts.error

  const upstream = await startNodeServer('upstream', join(SERVERS_DIR, 'upstream.mjs'))
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`
  env.ports.upstream = upstream.port

  const nginxBin = ensureNginx(log)
  const [proxy, nginx, db] = await Promise.all([
    attempt('proxy-plain', () => startNodeServer('proxy-plain', join(SERVERS_DIR, 'proxy-plain.mjs'), { env: { UPSTREAM_URL: upstreamUrl } })),
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
  env.ports['proxy-plain'] = proxy?.port
  env.ports.nginx = nginx?.port
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
    const nodeArgs = cpuProfDir && name === 'eddsa' ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []
    return startNodeServer(`gateway-${name}`, join(SERVERS_DIR, 'gateway-server.mjs'), { ts, nodeArgs, env: { BENCH_GATEWAY_CONFIG: config } })
  })
  const started = await Promise.all([
    ...ALGORITHMS.map((algorithm) => gateway(algorithm.toLowerCase(), algorithm)),
    seeding.then((seeded) => {
      if (!seeded) return undefined
      env.seeded = seeded.ready
      log(`seeded ${seeded.ready.revoked} revoked sessions`)
      return gateway('revocation', 'EdDSA', { mongo: revocationMongo })
    }),
    attempt('gateway-workers', () => startGatewayWorkers({ dir, ts, upstreamUrl, keysDir: env.tokens.EdDSA.keysDir })),
    // login-storm: logins and Bearer traffic on one gateway, so the database store (the bench user) and no rate limit.
    mongo ? gateway('login', 'EdDSA', { mongo, rateLimit: false }) : undefined,
    mongo
      ? attempt('auth-endpoints', () => startNodeServer('auth-endpoints', join(SERVERS_DIR, 'auth-server.mjs'), {
        ts,
        env: { BENCH_AUTH: JSON.stringify({ mongoUrl: mongo.url, database: mongo.database, algorithm: 'EdDSA', keysDir: env.tokens.EdDSA.keysDir, issuer: ISSUER, audience: AUDIENCE }) }
      }))
      : undefined
  ])
  const names = [...ALGORITHMS.map((algorithm) => `gateway-${algorithm.toLowerCase()}`), 'gateway-revocation', 'gateway-workers', 'gateway-login', 'auth-endpoints']
  names.forEach((name, index) => { env.ports[name] = started[index]?.port })
  // What the revocation gateway logged, for the failure report when its list does not fill.
  env.revocationLog = () => started[ALGORITHMS.length]?.stdoutTail ?? []
  if (db) pinPid(db.pid, SERVER_CORE)
  env.workers = started[ALGORITHMS.length + 1]
  if (!db) for (const name of ['gateway-revocation', 'gateway-login', 'auth-endpoints']) missing[name] ??= `no database (${missing.database})`
  else if (!env.seeded) missing['gateway-revocation'] ??= `seeding failed (${missing.seed})`
  // refresh, refresh-storm and login again on every other test database server, for the side-by-side table.
  env.otherDatabases = await startOtherDatabases({ ts, keysDir: env.tokens.EdDSA.keysDir, user: BENCH_USER, database: DATABASE, log, onDatabase })
  return env
}
