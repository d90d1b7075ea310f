// The TypeScript transpile cache of the bench and the tests (typescript/transpile.mjs): its files are loaded as code,
// so it lives in the repository in a folder only we may write; its key holds the installed compiler's version, so an
// upgrade never serves old output; and pruning keeps only what this run used.
import t from 'tap'
import { chmodSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTranspiler, DEFAULT_CACHE_DIR, typescriptVersion } from './transpile.mjs'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

t.test('the default cache is in the repository, not a shared temporary folder', async (t) => {
  t.equal(relative(REPO_ROOT, DEFAULT_CACHE_DIR), join('node_modules', '.cache', 'authgate-ts'))
  t.match(typescriptVersion(), /^\d+\.\d+\.\d+/, 'the version is the installed package\'s')
})

t.test('the folder is created 0700, an open one of ours is narrowed, a link is refused', { skip: process.platform === 'win32' && 'POSIX modes' }, async (t) => {
  const root = t.testdir()
  const dir = join(root, 'cache')
  const transpiler = createTranspiler({ dir, version: '1.0.0' })
  t.equal(transpiler.transpile('a.ts', 'export const a: number = 1\n').trim(), 'export const a = 1;')
  t.equal(statSync(dir).mode & 0o777, 0o700)
  const open = join(root, 'open')
  mkdirSync(open)
  chmodSync(open, 0o777)
  createTranspiler({ dir: open, version: '1.0.0' }).transpile('a.ts', 'export {}\n')
  t.equal(statSync(open).mode & 0o777, 0o700, 'narrowed to 0700 before anything is read from it')
  const link = join(root, 'link')
  symlinkSync(open, link)
  t.throws(() => { createTranspiler({ dir: link, version: '1.0.0' }).transpile('a.ts', 'export {}\n') }, /not a link/)
})

t.test('a new compiler version misses the old entries; prune drops what this run did not use', async (t) => {
  const dir = join(t.testdir(), 'cache')
  const old = createTranspiler({ dir, version: '1.0.0' })
  old.transpile('a.ts', 'export const a: number = 1\n')
  old.transpile('b.ts', 'export const b: number = 2\n')
  // Mark every entry as the old compiler's output: a new compiler must not serve it.
  for (const entry of readdirSync(dir)) writeFileSync(join(dir, entry), '// stale\n')
  t.equal(createTranspiler({ dir, version: '1.0.0' }).transpile('a.ts', 'export const a: number = 1\n'), '// stale\n', 'same version: a hit')
  const upgraded = createTranspiler({ dir, version: '2.0.0' })
  t.equal(upgraded.transpile('a.ts', 'export const a: number = 1\n').trim(), 'export const a = 1;', 'new version: transpiled again')
  t.equal(readdirSync(dir).length, 3)
  upgraded.prune()
  t.equal(readdirSync(dir).length, 1, 'only the entry this transpiler used is left')
  t.equal(upgraded.transpile('a.ts', 'export const a: number = 1\n').trim(), 'export const a = 1;')
})
