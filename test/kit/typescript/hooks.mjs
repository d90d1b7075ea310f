// Module hooks (node:module register) for the processes the bench and the tests start from the sources: `.ts` files
// load as ES modules through the cached transpiler (transpile.mjs), and in our sources a relative `./x.js` resolves
// to `./x.ts` when that exists, as the sources write their imports (NodeNext style). Everything else is Node's own
// resolution and loading.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { transpile } from './transpile.mjs'

export async function resolve (specifier, context, next) {
  // Looked up first rather than after Node's own attempt fails: a thrown resolution error per import of the
  // sources cost more than the transpiling the cache saves. Only for our sources: a dependency that ships `.ts`
  // beside its `.js` keeps its JavaScript.
  const relative = specifier.startsWith('./') || specifier.startsWith('../')
  const parent = context.parentURL
  if (relative && specifier.endsWith('.js') && parent?.startsWith('file:') && !parent.includes('/node_modules/')) {
    const typescript = new URL(`${specifier.slice(0, -3)}.ts`, parent)
    if (existsSync(fileURLToPath(typescript))) return next(typescript.href, context)
  }
  return next(specifier, context)
}

export async function load (url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context)
  return { format: 'module', source: transpile(fileURLToPath(url)), shortCircuit: true }
}
