#!/usr/bin/env node
// The test files whose outcome can depend on the MongoDB server: the ones that reach the test database, directly or
// through a test helper. CI runs the whole suite on FerretDB and only these on the second server (issue #17 allows
// that "if the whole takes too long"): running the other files twice proves nothing new and doubled CI's time.
//
// A file reaches the database when it, or a test helper it imports (relative imports outside `src/`, followed
// transitively), names MONGODB_URL (the harness hands the server over through it) or imports the test kit's database
// harness (`@authgate/test-kit/database`, `/replica-set`, `/restartable-database`, or test/kit/mongo/ by path).
// Over-inclusion is harmless; a file left out would be tested on one server only, so the rule follows every helper
// rather than trusting a hand-kept list.
//
// `node test/kit/mongo/database-test-files.mjs` prints them, one per line, relative to the repository root.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Where tap finds test files (.taprc `include`): each package's test/, the app's test/, and test/. */
function testRoots (root) {
  const groups = ['packages', 'apps'].flatMap((group) => existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name, 'test')) : [])
  return [...groups, join(root, 'test')]
}

const DATABASE_MARKER = /\bMONGODB_URL\b|['"]@authgate\/test-kit\/(?:database|replica-set|restartable-database)['"]|['"][./]*(?:\.\.\/)*(?:kit\/)?mongo\/[\w-]+\.mjs['"]/
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g

function testFiles (dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

/** The file a relative import names: sources write `./x.js` for `./x.ts` (NodeNext style). */
function resolveImport (from, specifier) {
  const target = resolve(dirname(from), specifier)
  for (const candidate of [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')]) {
    if (existsSync(candidate)) return candidate
  }
  return null
}

/** Whether `file` or a test helper it imports names the database; `seen` bounds the walk (each file once). */
function reachesDatabase (file, seen = new Set()) {
  if (seen.has(file)) return false
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  if (DATABASE_MARKER.test(text)) return true
  for (const [, specifier] of text.matchAll(IMPORT)) {
    const target = resolveImport(file, specifier)
    // Product sources always contain the MongoDB store: only test code says whether a test uses it.
    if (target === null || target.split(sep).includes('src') || target.split(sep).includes('node_modules')) continue
    if (reachesDatabase(target, seen)) return true
  }
  return false
}

/** The database-touching test files of the repository at `root`, relative to it, sorted. */
export function databaseTestFiles (root = ROOT) {
  return testRoots(root).flatMap(testFiles).filter((file) => reachesDatabase(file)).map((file) => relative(root, file)).sort()
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(databaseTestFiles().join('\n') + '\n')
}
