// mongo-java-server 1.47.0 (memory backend) as the second MongoDB-wire test server (issue #17), through the launcher
// in ./java (wire version 9 / "4.4", `hello`, loopback, a free port; the oplog only in replica-set mode). Built once with Maven from Maven
// Central (Maven's default repository, nothing else) and cached in ~/.cache/authgate/, like the FerretDB build.
// Plain JavaScript on purpose: the test runner starts it before any TypeScript loader exists.
import { spawn, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const MONGO_JAVA_SERVER_VERSION = '1.47.0'
const SOURCES = join(dirname(fileURLToPath(import.meta.url)), 'java')
// The heap the issue measured the whole suite with (about 115 MiB resident); serial GC: one thread, 2 shared cores.
const JVM_FLAGS = ['-Xmx256m', '-XX:+UseSerialGC']

function listFiles (dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)])
}

/** A hash of the launcher's sources and pom: the cache folder changes whenever they do. */
function sourcesHash () {
  const hash = createHash('sha256')
  for (const file of listFiles(SOURCES).filter((f) => !relative(SOURCES, f).startsWith('target')).sort()) {
    hash.update(relative(SOURCES, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex').slice(0, 12)
}

function cacheDir () {
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(cacheRoot, 'authgate', `mongo-java-server-${MONGO_JAVA_SERVER_VERSION}-${sourcesHash()}`)
}

/** The JVM's class path for a built launcher folder (classes + the runtime jars Maven copied). */
function classPath (dir) {
  return [join(dir, 'classes'), join(dir, 'lib', '*')].join(':')
}

function isBuilt (dir) {
  return existsSync(join(dir, 'classes', 'authgate', 'testdb', 'Launcher.class')) &&
    existsSync(join(dir, 'lib', `mongo-java-server-memory-backend-${MONGO_JAVA_SERVER_VERSION}.jar`))
}

/**
 * The built launcher's folder, building it once when absent: `mvn compile` in a temporary copy of ./java (the repo
 * stays clean), then the classes and runtime jars move into the cache in one rename.
 * `mavenRepo` overrides Maven's local repository (~/.m2/repository), e.g. to time a build from an empty one.
 */
export function ensureMongoJavaServer ({ log = console.error, mavenRepo } = {}) {
  const dir = cacheDir()
  if (isBuilt(dir)) return dir
  for (const tool of ['java', 'mvn']) {
    try {
      execFileSync(tool, ['-version'], { stdio: 'ignore' })
    } catch {
      throw new Error(`mongo-java-server needs \`${tool}\` (Java 17 and Maven; Debian: openjdk-17-jdk-headless maven, see scripts/install-system-deps.sh)`)
    }
  }
  log(`test database: building the mongo-java-server ${MONGO_JAVA_SERVER_VERSION} launcher with Maven (one time, about 10 s plus downloads)`)
  // Built in a temporary folder under the cache root and renamed into place in one step: a build killed midway, or
  // two builds at once, never leave a half-written cache folder that a later run would take as built.
  mkdirSync(dirname(dir), { recursive: true })
  const work = mkdtempSync(join(dirname(dir), '.building-mongo-java-server-'))
  try {
    const sources = join(work, 'sources')
    cpSync(SOURCES, sources, { recursive: true, filter: (src) => relative(SOURCES, src) !== 'target' })
    // -C: fail on a checksum mismatch of anything downloaded from Maven Central, instead of only warning.
    execFileSync('mvn', ['-q', '-B', '-C', ...(mavenRepo ? [`-Dmaven.repo.local=${mavenRepo}`] : []), 'compile'], {
      cwd: sources, stdio: ['ignore', 'inherit', 'inherit']
    })
    const staged = join(work, 'staged')
    mkdirSync(staged)
    renameSync(join(sources, 'target', 'classes'), join(staged, 'classes'))
    renameSync(join(sources, 'target', 'lib'), join(staged, 'lib'))
    if (!isBuilt(staged)) throw new Error(`the mongo-java-server launcher build in ${staged} is incomplete`)
    // A folder left half-written by an older, non-atomic build is not a build.
    if (existsSync(dir) && !isBuilt(dir)) rmSync(dir, { recursive: true, force: true })
    try {
      renameSync(staged, dir)
    } catch (error) {
      // A concurrent build finished first (the target exists and is not empty): use its result.
      if (!isBuilt(dir)) throw error
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  if (!isBuilt(dir)) throw new Error(`the mongo-java-server launcher build in ${dir} is incomplete`)
  return dir
}

/** The cached build if there is one, without building (for tests that only use it when the harness built it). */
export function builtMongoJavaServer () {
  const dir = cacheDir()
  return isBuilt(dir) ? dir : null
}

export function mongoJavaServerKind (replicaSet) {
  return `mongo-java-server ${MONGO_JAVA_SERVER_VERSION} (memory backend${replicaSet ? `, replica set ${replicaSet}` : ''})`
}

/**
 * Starts the launcher; resolves once it printed its port (it binds a free loopback port itself, so there is no race
 * for the port). `replicaSet`: answer `hello` as the primary of a one-member set of that name (change streams).
 * @returns {Promise<{ url: string, port: number, pid: number, child: import('node:child_process').ChildProcess }>}
 */
export function spawnMongoJavaServer (dir, { replicaSet, stderr = 'inherit', timeoutMs = 30_000 } = {}) {
  const child = spawn('java', [...JVM_FLAGS, '-cp', classPath(dir), 'authgate.testdb.Launcher',
    ...(replicaSet ? ['--replica-set', replicaSet] : [])], { stdio: ['pipe', 'pipe', stderr] })
  // Never written to: the launcher exits when this pipe closes, so the JVM cannot outlive this process.
  child.stdin.on('error', () => {})
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mongo-java-server printed no port within ${timeoutMs} ms`)) }, timeoutMs)
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`mongo-java-server exited early with code ${code}`)) })
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      const match = /^listening 127\.0\.0\.1:(\d+)$/.exec(line)
      if (!match) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      const port = Number(match[1])
      const query = replicaSet ? `?replicaSet=${encodeURIComponent(replicaSet)}` : ''
      resolve({ url: `mongodb://127.0.0.1:${port}/${query}`, port, pid: child.pid, child })
    })
  })
}
