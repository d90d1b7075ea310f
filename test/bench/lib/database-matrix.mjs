// `refresh`, `refresh-storm` and `login` on every test database server that can start here (issue #17), side by
// side: the main environment serves them on its own database (the one AUTHGATE_TEST_DB or MONGODB_URL picks); each
// other server gets its own database process and auth-endpoints server, with scenarios named `NAME@SERVER`.
import { join } from 'node:path'
import { selectedTestDatabase, startTestDatabase, TEST_DATABASES } from '../../kit/mongo/test-database.mjs'
import { pinPid, SERVER_CORE } from './placement.mjs'
import { SERVERS_DIR, startNodeServer } from './servers.mjs'
import { AUDIENCE, ISSUER } from './gateway-config.mjs'

/** The main environment's server: `external` for MONGODB_URL. */
export function primaryServer () {
  return process.env.MONGODB_URL ? 'external' : selectedTestDatabase()
}

/**
 * Starts, for each other server, its database and an auth-endpoints server with the bench user in a fresh database.
 * A server that cannot start is reported (`missing`), not fatal. Its database goes to `onDatabase` (stopped by the
 * caller), its auth server is a child process (stopped with the others).
 * `profArgs(name)`: Node arguments for the auth-endpoints server (--cpu-prof into its own folder, or none).
 * @returns {Promise<Array<{ server: string, kind?: string, port?: number, pid?: number, databasePid?: number, missing?: string }>>}
 *   pid: the auth-endpoints server's; databasePid: the database process's
 */
export async function startOtherDatabases ({ ts, keysDir, user, database, log, onDatabase, profArgs = () => [] }) {
  const others = TEST_DATABASES.filter((server) => server !== primaryServer())
  return Promise.all(others.map(async (server) => {
    let db
    try {
      const starting = startTestDatabase({ log, server, external: false })
      // Tracked by the caller from the start, so an interrupted set-up still stops it.
      onDatabase(starting)
      db = await starting
      if (db.pid) {
        const astray = pinPid(db.pid, SERVER_CORE)
        if (astray.length) log(`! database ${server}: ${astray.length} threads could not be pinned to core ${SERVER_CORE}`)
      }
      const auth = await startNodeServer(`auth-endpoints@${server}`, join(SERVERS_DIR, 'auth-server.mjs'), {
        ts,
        nodeArgs: profArgs(`auth-endpoints@${server}`),
        env: { BENCH_AUTH: JSON.stringify({ mongoUrl: db.url, database, algorithm: 'EdDSA', keysDir, issuer: ISSUER, audience: AUDIENCE, user }) }
      })
      log(`database ${server}: ${db.kind} at ${db.url}`)
      return { server, kind: db.kind, port: auth.port, pid: auth.pid, databasePid: db.pid }
    } catch (error) {
      const missing = String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'failed'
      log(`! database ${server}: ${missing}`)
      return { server, missing }
    }
  }))
}

/** The side-by-side numbers for results.json: per server, the three scenarios and round trips per rotation. */
export function databaseComparison (scenarios, servers) {
  /** @type {Record<string, Record<string, unknown>>} */
  const table = {}
  for (const { server, suffix } of servers) {
    const entry = (name) => scenarios[`${name}${suffix}`] ?? {}
    const refresh = entry('refresh')
    const storm = entry('refresh-storm')
    const login = entry('login')
    table[server] = {
      refreshRotationsPerSec: refresh.rotationsPerSec ?? null,
      refreshP99: refresh.p99 ?? null,
      stormRotationsPerSec: storm.rotationsPerSec ?? null,
      stormErrors: storm.errors ?? null,
      loginsPerSec: login.rps ?? null,
      roundTripsPerRotation: refresh.roundTripsPerRotation ?? null,
      roundTripsPerStormRotation: storm.roundTripsPerRotation ?? null,
      note: [refresh, storm, login].map((e) => e.skipped ?? e.failed).find((why) => why !== undefined) ?? null
    }
  }
  return table
}
