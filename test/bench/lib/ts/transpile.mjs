// One TypeScript file → JavaScript, cached on disk by content: the bench starts a dozen server processes from the
// workspace's TypeScript sources at once, and each transpiling the same ~170 files itself (ts-node) took 15 s and
// more per process on a busy 2-core machine, past the servers' start-up limits. The cache is keyed by the source
// text, the compiler version and the options, so a stale entry cannot be served; entries are written to a temporary
// name and renamed, so processes filling it at the same time never read half a file.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** The repository's own compiler (the root devDependency), loaded only on a cache miss. */
let compiler
function typescript () {
  compiler ??= createRequire(join(REPO_ROOT, 'package.json'))('typescript')
  return compiler
}

/** What tsconfig.base.json asks of the emitted JavaScript; types are not checked here (`pnpm typecheck` does). */
const OPTIONS = { target: 'ES2022', module: 'ESNext', verbatimModuleSyntax: true, isolatedModules: true, sourceMap: false, inlineSourceMap: false }

export function cacheDir () {
  return process.env.AUTHGATE_BENCH_TS_CACHE ?? join(tmpdir(), `authgate-bench-ts-cache-${process.getuid?.() ?? 'user'}`)
}

/** JavaScript for the TypeScript file at `path` (its text `source`), from the cache or transpiled now. */
export function transpile (path, source = readFileSync(path, 'utf8')) {
  const dir = cacheDir()
  const versionFile = join(dir, 'typescript-version')
  let version
  try { version = readFileSync(versionFile, 'utf8') } catch { version = undefined }
  const key = createHash('sha256').update(`${version ?? ''}\0${JSON.stringify(OPTIONS)}\0${source}`).digest('hex')
  const cached = join(dir, `${key}.js`)
  if (version !== undefined) {
    try { return readFileSync(cached, 'utf8') } catch { /* a miss: transpile below */ }
  }
  const ts = typescript()
  const { target, module, ...rest } = OPTIONS
  const output = ts.transpileModule(source, {
    fileName: path,
    compilerOptions: { ...rest, target: ts.ScriptTarget[target], module: ts.ModuleKind[module] }
  }).outputText
  mkdirSync(dir, { recursive: true })
  if (version !== ts.version) {
    // First use of this cache with this compiler: record it; the key above then includes it.
    writeAtomically(versionFile, ts.version)
    return transpile(path, source)
  }
  writeAtomically(cached, output)
  return output
}

function writeAtomically (path, text) {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`
  writeFileSync(temporary, text)
  renameSync(temporary, path)
}
