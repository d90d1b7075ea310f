// Module hooks (node:module register) for the processes the bench and the tests start from the sources: `.ts` files load as ES modules through
// the cached transpiler (transpile.mjs), and a relative `./x.js` that does not exist resolves to `./x.ts`, as the
// sources write their imports (NodeNext style). Everything else is Node's own resolution and loading.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { transpile } from './transpile.mjs'

export async function resolve (specifier, context, next) {
  // Looked up first rather than after Node's own attempt fails: a thrown resolution error per import of the
  // sources cost more than the transpiling the cache saves.
  const relative = specifier.startsWith('./') || specifier.startsWith('../')
  if (relative && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
    const typescript = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL)
    if (existsSync(fileURLToPath(typescript))) return next(typescript.href, context)
  }
  return next(specifier, context)
}

export async function load (url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context)
  return { format: 'module', source: transpile(fileURLToPath(url)), shortCircuit: true }
}
