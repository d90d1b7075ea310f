// Module hooks (node:module register) for the bench's server processes: `.ts` files load as ES modules through
// the cached transpiler (transpile.mjs), and a relative `./x.js` that does not exist resolves to `./x.ts`, as the
// sources write their imports (NodeNext style). Everything else is Node's own resolution and loading.
import { fileURLToPath } from 'node:url'
import { transpile } from './transpile.mjs'

export async function resolve (specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../')
    if (!relative || !specifier.endsWith('.js') || /** @type {{ code?: string }} */ (error).code !== 'ERR_MODULE_NOT_FOUND') throw error
    return next(`${specifier.slice(0, -3)}.ts`, context)
  }
}

export async function load (url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context)
  return { format: 'module', source: transpile(fileURLToPath(url)), shortCircuit: true }
}
