// The layer rule of @authgate/fastify's sources: a folder may import only from folders of a lower layer (and from
// itself). Two folders of one layer are peers and import neither way, so the folder graph has no cycle by
// construction. Type-only imports count too: a type is as much a dependency as a value when the code moves.
//
// Layers, lowest first (packages/auth/README.md, "Source layout", explains each):
import path from 'node:path'

export const LAYERS = [
  ['errors.ts', 'events.ts', 'internal', 'config'],
  ['tokens'],
  ['keys'],
  ['stores'],
  ['revocation', 'limits', 'users', 'route-policy', 'notifications'],
  ['sessions', 'audit', 'metrics'],
  ['oidc', 'recovery', 'admin'],
  ['options'],
  ['setup'],
  ['http'],
  ['testing']
]
// Everything else at the top of src/ (plugin.ts, the public entries, types.ts) is the top layer: wiring and the
// published surface, which may import any layer.
const TOP = LAYERS.length

/** The unit of a file below `srcRoot`: its first folder, or its name for a file at the root. */
export function unitOf (srcRoot, file) {
  const relative = path.relative(srcRoot, file)
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined
  return relative.split(path.sep)[0]
}

export function layerOf (unit) {
  const index = LAYERS.findIndex((layer) => layer.includes(unit))
  return index === -1 ? TOP : index
}

/** Why `importer` may not import `imported` (both files below srcRoot), or undefined when it may. */
export function layerViolation (srcRoot, importer, imported) {
  const from = unitOf(srcRoot, importer)
  const to = unitOf(srcRoot, imported)
  if (from === undefined || to === undefined || from === to) return undefined
  const fromLayer = layerOf(from)
  const toLayer = layerOf(to)
  if (toLayer < fromLayer) return undefined
  if (toLayer === fromLayer && fromLayer === TOP) return undefined
  return toLayer === fromLayer
    ? `${from} and ${to} are peers (one layer): neither imports the other`
    : `${from} (layer ${fromLayer}) may not import ${to} (layer ${toLayer}): imports point down the layers`
}

const SRC_ROOT = path.join(import.meta.dirname, '../../packages/auth/src')

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports inside packages/auth/src point down the layers' },
    messages: { layer: '{{reason}} (scripts/lint/layers.mjs)' },
    schema: []
  },
  create (context) {
    const importer = context.filename
    if (unitOf(SRC_ROOT, importer) === undefined) return {}
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const imported = path.resolve(path.dirname(importer), source).replace(/\.js$/, '.ts')
      const reason = layerViolation(SRC_ROOT, importer, imported)
      if (reason !== undefined) context.report({ node, messageId: 'layer', data: { reason } })
    }
    const fromSource = (node) => { if (node.source !== null && node.source !== undefined) check(node, node.source.value) }
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => { if (node.source.type === 'Literal') check(node, node.source.value) },
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument
        if (literal?.type === 'Literal') check(node, literal.value)
      }
    }
  }
}

export default { rules: { layers: rule } }
