// One TypeScript file → JavaScript, cached on disk by content: the bench starts a dozen server processes from the
// workspace's TypeScript sources at once, and the CLI tests spawn dozens of `authgate` processes; each transpiling
// the same ~170 files itself (ts-node) took 8–15 s of CPU per process on a busy 2-core machine, past the servers'
// start-up limits and most of the test suite's time. The cache is keyed by the source
// text, the compiler's version (read from its own package.json, so an upgrade never serves old output) and the
// options; entries are written to a temporary name and renamed, so processes filling it at the same time never
// read half a file. Its files are loaded as code, so it lives inside the repository (node_modules/.cache), in a
// folder only we may write, never at a guessable path in a shared /tmp.
import { createHash } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const requireFromRoot = createRequire(join(REPO_ROOT, 'package.json'))

/** The repository's own compiler (the root devDependency), loaded only on a cache miss. */
let compiler
function typescript () {
  compiler ??= requireFromRoot('typescript')
  return compiler
}

/** The installed compiler's version, from its package.json: cheap, and right even before the compiler is loaded. */
export function typescriptVersion () {
  return String(JSON.parse(readFileSync(requireFromRoot.resolve('typescript/package.json'), 'utf8')).version)
}

/** What tsconfig.base.json asks of the emitted JavaScript; types are not checked here (`pnpm typecheck` does). */
const OPTIONS = { target: 'ES2022', module: 'ESNext', verbatimModuleSyntax: true, isolatedModules: true, sourceMap: false, inlineSourceMap: false }

const ENTRY = /^[0-9a-f]{64}\.js$/

export const DEFAULT_CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'authgate-ts')

/**
 * Creates `dir` (mode 0o700), narrows an existing one of ours to 0o700, and refuses a link or someone else's
 * folder: another user able to write there could put code our servers then run.
 */
function ownDirectory (dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const stat = lstatSync(dir)
  const uid = process.getuid?.()
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
    throw new Error(`the transpile cache ${dir} must be a directory of this user, not a link or another user's`)
  }
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700)
}

/**
 * A transpiler over the cache folder `dir` for compiler `version` (both defaulted; the test gives its own).
 * `prune()` removes every entry this transpiler did not read or write: what an older compiler or an edited source left.
 * @param {{ dir?: string, version?: string }} [options]
 */
export function createTranspiler ({ dir = DEFAULT_CACHE_DIR, version } = {}) {
  /** @type {Set<string>} */
  const touched = new Set()
  let checked = false
  let compilerVersion = version
  return {
    dir,
    /** JavaScript for the TypeScript file at `path` (its text `source`), from the cache or transpiled now. */
    transpile (/** @type {string} */ path, source = readFileSync(path, 'utf8')) {
      if (!checked) { ownDirectory(dir); checked = true }
      compilerVersion ??= typescriptVersion()
      const key = createHash('sha256').update(`${compilerVersion}\0${JSON.stringify(OPTIONS)}\0${source}`).digest('hex')
      const name = `${key}.js`
      touched.add(name)
      const cached = join(dir, name)
      try { return readFileSync(cached, 'utf8') } catch { /* a miss: transpile below */ }
      const ts = typescript()
      const { target, module, ...rest } = OPTIONS
      const output = ts.transpileModule(source, {
        fileName: path,
        compilerOptions: { ...rest, target: ts.ScriptTarget[target], module: ts.ModuleKind[module] }
      }).outputText
      writeAtomically(cached, output)
      return output
    },
    prune () {
      let entries
      try { entries = readdirSync(dir) } catch { return }
      // Only finished entries (and the version file an older layout kept): another process's temporary is
      // renamed any moment now, and removing it would fail that process's load.
      for (const entry of entries) {
        if ((ENTRY.test(entry) && !touched.has(entry)) || entry === 'typescript-version') rmSync(join(dir, entry), { force: true })
      }
    }
  }
}

const shared = createTranspiler()

/** JavaScript for the TypeScript file at `path`, through the repository's cache. */
export function transpile (/** @type {string} */ path, /** @type {string | undefined} */ source) {
  return shared.transpile(path, source)
}

/** Drops the cache entries this process did not use (call after transpiling every source). */
export function pruneCache () {
  shared.prune()
}

function writeAtomically (path, text) {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`
  writeFileSync(temporary, text, { mode: 0o600 })
  renameSync(temporary, path)
}
