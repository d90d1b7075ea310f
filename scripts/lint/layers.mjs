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
// The files at the top of src/ other than those listed (plugin.ts, the public entries) are the top layer: wiring and
// the published surface, which may import any layer. A folder must be listed: a new one in no layer is reported.
const TOP = LAYERS.length
const PACKAGE_NAME = '@authgate/fastify'

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

const isFolder = (unit) => !unit.endsWith('.ts') && !unit.endsWith('.js')

/** Why `importer` may not import `imported` (both files below srcRoot), or undefined when it may. */
export function layerViolation (srcRoot, importer, imported) {
  const from = unitOf(srcRoot, importer)
  const to = unitOf(srcRoot, imported)
  if (from === undefined || to === undefined || from === to) return undefined
  for (const unit of [from, to]) {
    if (isFolder(unit) && !LAYERS.some((layer) => layer.includes(unit))) return `the folder ${unit} is in no layer: add it to LAYERS`
  }
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
      if (typeof source !== 'string') return
      // The package importing itself by name would resolve to an entry (the top layer) from any folder.
      if (source === PACKAGE_NAME || source.startsWith(`${PACKAGE_NAME}/`)) {
        context.report({ node, messageId: 'layer', data: { reason: `the package's own entries are for its users: import the file, down the layers` } })
        return
      }
      if (!source.startsWith('.')) return
      const imported = path.resolve(path.dirname(importer), source).replace(/\.js$/, '.ts')
      const reason = layerViolation(SRC_ROOT, importer, imported)
      if (reason !== undefined) context.report({ node, messageId: 'layer', data: { reason } })
    }
    const fromSource = (node) => { if (node.source !== null && node.source !== undefined) check(node, node.source.value) }
    // A string written as a template without expressions is as static as a literal; one with expressions cannot be
    // followed, so it is refused outright (nothing in the sources needs one).
    const fromExpression = (node, expression) => {
      if (expression.type === 'Literal') check(node, expression.value)
      else if (expression.type === 'TemplateLiteral' && expression.expressions.length === 0) check(node, expression.quasis[0].value.cooked)
      else context.report({ node, messageId: 'layer', data: { reason: 'an import whose path is computed cannot be checked: write it as a string' } })
    }
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => { fromExpression(node, node.source) },
      TSImportEqualsDeclaration: (node) => {
        if (node.moduleReference.type === 'TSExternalModuleReference') fromExpression(node, node.moduleReference.expression)
      },
      // require() through createRequire: the sources are ESM, a require of one of their files goes around the rule.
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length > 0) fromExpression(node, node.arguments[0])
      },
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument
        if (literal?.type === 'Literal') check(node, literal.value)
      }
    }
  }
}

export default { rules: { layers: rule } }
