// The published surface of @authgate/fastify (issue #13): a root entry small enough to read, every name of it
// documented, and nothing internal reachable through any entry.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..')
const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> }
const entries = Object.entries(manifest.exports)
  .filter(([, target]) => typeof target === 'object')
  .map(([name, target]) => ({ name, file: join(PACKAGE, (target as Record<string, string>)['authgate-source'] ?? '') }))

const program = ts.createProgram(entries.map((entry) => entry.file), {
  module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true
})
const checker = program.getTypeChecker()

function exportsOf (file: string): ts.Symbol[] {
  const source = program.getSourceFile(file)
  const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
  if (module === undefined) throw new Error(`${file}: not a module`)
  return checker.getExportsOfModule(module)
}

function documentation (symbol: ts.Symbol): string {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
  return ts.displayPartsToString(target.getDocumentationComment(checker)).trim()
}

t.test('every entry of package.json has a source file that type-checks as a module', async (t) => {
  t.ok(entries.length >= 7, 'the root entry and the tool entries')
  for (const entry of entries) t.ok(exportsOf(entry.file).length > 0, `${entry.name} exports something`)
})

t.test('the root entry: about 40 names, each with a doc comment', async (t) => {
  const root = exportsOf(join(PACKAGE, 'src/index.ts'))
  t.ok(root.length <= 42, `${root.length} names (at most about 40)`)
  const undocumented = root.filter((symbol) => symbol.name !== 'default' && documentation(symbol) === '').map((symbol) => symbol.name)
  t.same(undocumented, [], 'every name has a doc comment')
})

t.test('no entry hands out the store or the internals', async (t) => {
  // Names that were public before the surface was drawn, and must stay internal.
  const internal = ['newRingKey', 'openRingKey', 'FASTIFY_JWT_DECORATOR', 'SESSION_STORE', 'IP_WATCH_IDLE', 'AUDIT_IDLE', 'createSessionService', 'createCookieJar', 'createPluginTokens']
  for (const entry of entries) {
    const names = new Set(exportsOf(entry.file).map((symbol) => symbol.name))
    t.same(internal.filter((name) => names.has(name)), [], `${entry.name} exports none of them`)
  }
  const decorator = exportsOf(join(PACKAGE, 'src/index.ts')).find((symbol) => symbol.name === 'AuthgateDecorator')
  t.ok(decorator, 'AuthgateDecorator is exported')
  const members = checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(decorator!)).getProperties().map((member) => member.name)
  t.notOk(members.includes('store'), 'app.authgate has no raw store')
  t.ok(members.includes('sessions'), 'app.authgate.sessions instead')
})
