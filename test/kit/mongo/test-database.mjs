// Provides the real MongoDB-wire server the tests run against (docs/design.md#the-database-in-tests):
// MONGODB_URL if set; else AUTHGATE_TEST_DB chooses: `ferretdb` (the default: a `mongod` on PATH if there is one,
// else FerretDB v1.24.2, SQLite backend, built from the Go module proxy) or `mongo-java-server` (1.47.0, memory
// backend, through the launcher in ./java; see ./mongo-java-server.mjs).
// Plain JavaScript on purpose: the test runner starts it before any TypeScript loader exists.
import { spawn, execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir, homedir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { ensureMongoJavaServer, mongoJavaServerKind, spawnMongoJavaServer } from './mongo-java-server.mjs'
import { freePort } from '../ports.mjs'

export const FERRETDB_VERSION = 'v1.24.2'
const FERRETDB_MODULE = `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`

/** Finds an executable on PATH (no shell involved). */
export function which (name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }
  return null
}

function cachedFerretPath () {
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(cacheRoot, 'authgate', `ferretdb-${FERRETDB_VERSION}`, 'ferretdb')
}

function printsPinnedVersion (bin) {
  try {
    const out = execFileSync(bin, ['--version'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, DO_NOT_TRACK: '1' }
    })
    return out.includes(`version: ${FERRETDB_VERSION}`)
  } catch {
    return false
  }
}

/**
 * Path to a ferretdb binary of the pinned version, building it once when absent.
 *
 * Why not a plain `go install ...cmd/ferretdb@v1.24.2`: the module zip on the Go module proxy lacks the generated
 * `build/version/version.txt`, and a binary built from it panics at start ("Invalid build/version/version.txt").
 * So we fetch the same module with `go mod download`, write that one file, and `go build` it, which is what the
 * upstream `bin/task gen-version` does before its own builds. The source is exactly v1.24.2.
 */
export function ensureFerretDB ({ log = console.error } = {}) {
  const cached = cachedFerretPath()
  for (const bin of [which('ferretdb'), cached]) {
    if (bin && existsSync(bin) && printsPinnedVersion(bin)) return bin
  }
  log(`test database: building FerretDB ${FERRETDB_VERSION} from the Go module proxy (one time, about a minute)`)
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', FERRETDB_MODULE], {
    encoding: 'utf8', cwd: tmpdir(), env: { ...process.env, GOFLAGS: '-mod=mod' }
  }))
  const src = mkdtempSync(join(tmpdir(), 'authgate-ferretdb-src-'))
  try {
    cpSync(info.Dir, src, { recursive: true })
    execFileSync('chmod', ['-R', 'u+w', src])
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`)
    mkdirSync(dirname(cached), { recursive: true })
    execFileSync('go', ['build', '-buildvcs=false', '-trimpath', '-o', cached, './cmd/ferretdb'], {
      cwd: src, stdio: ['ignore', 'inherit', 'inherit']
    })
  } finally {
    rmSync(src, { recursive: true, force: true })
  }
  if (!printsPinnedVersion(cached)) throw new Error(`the FerretDB build at ${cached} does not report ${FERRETDB_VERSION}`)
  return cached
}

/**
 * Starts FerretDB exactly as the root README says ("The database in tests"), on a loopback port with its data and state
 * in `dir`. The one place these flags live: every harness starts it through here.
 */
export function spawnFerretDB (bin, dir, port, stderr = 'inherit') {
  return spawn(bin, [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error'
  ], {
    // DO_NOT_TRACK: FerretDB's telemetry would otherwise call a public address; only loopback is allowed here.
    env: { ...process.env, DO_NOT_TRACK: '1' },
    // FerretDB writes its state.json to the working directory: keep it in the temporary folder, not the repo.
    cwd: dir,
    stdio: ['ignore', 'ignore', stderr]
  })
}

function waitForPort (port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`database process exited early with code ${child.exitCode}`))
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve() })
      socket.once('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`database did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`))
        else setTimeout(attempt, 100)
      })
    }
    attempt()
  })
}

function stopChild (child, dir) {
  return new Promise((resolve) => {
    const done = () => { if (dir) rmSync(dir, { recursive: true, force: true }); resolve() }
    if (child.exitCode !== null || child.signalCode !== null) return done()
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(killTimer); done() })
    child.kill('SIGTERM')
  })
}

export const TEST_DATABASES = ['ferretdb', 'mongo-java-server']

/** The server AUTHGATE_TEST_DB names (default `ferretdb`); anything else is an error, not a silent default. */
export function selectedTestDatabase (value = process.env.AUTHGATE_TEST_DB) {
  if (value === undefined || value === '') return 'ferretdb'
  if (TEST_DATABASES.includes(value)) return value
  throw new Error(`AUTHGATE_TEST_DB must be one of ${TEST_DATABASES.join(', ')} (got ${JSON.stringify(value)})`)
}

/**
 * Starts (or adopts) the test database server. `kind` names it; it is exported to the tests as
 * AUTHGATE_TEST_DB_KIND, and starts with `FerretDB` or `mongo-java-server` for those servers.
 * @param {{ log?: (line: string) => void, server?: string, external?: boolean }} [options] server: overrides
 *   AUTHGATE_TEST_DB; external: false starts `server` even when MONGODB_URL is set (the bench's side-by-side runs)
 * @returns {Promise<{ url: string, kind: string, stop: () => Promise<void>, pid?: number }>}
 */
export async function startTestDatabase ({ log = console.error, server, external = true } = {}) {
  if (external && process.env.MONGODB_URL) {
    return { url: process.env.MONGODB_URL, kind: 'MONGODB_URL (external server)', stop: async () => {} }
  }
  if (selectedTestDatabase(server) === 'mongo-java-server') {
    const { url, pid, child } = await spawnMongoJavaServer(ensureMongoJavaServer({ log }))
    return { url, kind: mongoJavaServerKind(), pid, stop: () => stopChild(child) }
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'authgate-db-'))
  const mongod = which('mongod')
  let child
  let kind
  if (mongod) {
    kind = `mongod (${mongod})`
    child = spawn(mongod, ['--dbpath', dir, '--bind_ip', '127.0.0.1', '--port', String(port), '--quiet'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit']
    })
  } else {
    const bin = ensureFerretDB({ log })
    kind = `FerretDB ${FERRETDB_VERSION} (SQLite backend, ${bin})`
    child = spawnFerretDB(bin, dir, port, 'inherit')
  }
  try {
    await waitForPort(port, child, 30_000)
  } catch (err) {
    await stopChild(child, dir)
    throw err
  }
  return { url: `mongodb://127.0.0.1:${port}/`, kind, pid: child.pid, stop: () => stopChild(child, dir) }
}
