// Node arguments for children that import the workspace's TypeScript sources (the gateway, the plugin): the
// `authgate-source` export condition (packages resolve each other's src/, no build needed, as in the tests) plus
// the bench's own module hooks (lib/ts/), which transpile each file once per content into a shared cache instead of
// once per process (ts-node did, and a dozen servers starting together on a busy 2-core machine then missed their
// start-up limits). The hooks only cost at import time; the request path runs the JavaScript a build would produce.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pruneCache, transpile } from './ts/transpile.mjs'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = fileURLToPath(new URL('./ts/register.mjs', import.meta.url))

/** Every .ts file under `dir` (recursively), tests and declarations left out. */
function sources (dir) {
  let entries
  try { entries = readdirSync(dir, { withFileTypes: true }) } catch { return [] }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/**
 * Fills the cache with the packages' and the gateway's sources, here, before the servers start: otherwise each of
 * them, starting at the same moment, would find it empty and transpile everything itself.
 */
function warmCache () {
  const roots = ['packages', 'apps'].flatMap((group) => {
    try { return readdirSync(join(REPO_ROOT, group)).map((name) => join(REPO_ROOT, group, name, 'src')) } catch { return [] }
  })
  for (const file of roots.flatMap(sources)) transpile(file)
  // What is left is from an older compiler or an older source: the cache stays the size of the workspace.
  pruneCache()
}

/** @returns {{ args: string[], env: Record<string, string> } | { error: string }} */
export function typescriptNode () {
  try {
    warmCache()
    return { args: ['--import', REGISTER, '--conditions=authgate-source'], env: {} }
  } catch (error) {
    return { error: `cannot transpile the TypeScript sources (the root devDependency typescript): ${String(error).split('\n')[0]}` }
  }
}
