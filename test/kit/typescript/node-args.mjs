// Node arguments for children that import the workspace's TypeScript sources (the gateway, the plugin, the CLI): the
// `authgate-source` export condition (packages resolve each other's src/, no build needed) plus our module hooks
// (hooks.mjs), which transpile each file once per content into a shared cache instead of once per process (ts-node
// did: a dozen bench servers starting together missed their start-up limits, and each spawned CLI in the tests cost
// 8 s of CPU). The hooks only cost at import time; the request path runs the JavaScript a build would produce.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pruneCache, transpile } from './transpile.mjs'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const REGISTER = fileURLToPath(new URL('./register.mjs', import.meta.url))

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

let warmed = false

/**
 * Fills the cache with the packages' and the gateway's sources, here, once per process, before any child starts:
 * otherwise children starting at the same moment would each find it empty and transpile everything themselves.
 */
function warmCache () {
  if (warmed) return
  const roots = ['packages', 'apps'].flatMap((group) => {
    try { return readdirSync(join(REPO_ROOT, group)).map((name) => join(REPO_ROOT, group, name, 'src')) } catch { return [] }
  })
  for (const file of roots.flatMap(sources)) transpile(file)
  // What is left is from an older compiler or an older source: the cache stays the size of the workspace.
  pruneCache()
  warmed = true
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

/** Like typescriptNode, for callers that cannot go on without it (the tests): the Node arguments, or a thrown error. */
export function typescriptNodeArgs () {
  const node = typescriptNode()
  if ('error' in node) throw new Error(node.error)
  return node.args
}
