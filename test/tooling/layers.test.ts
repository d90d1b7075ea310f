// The one-way layers of packages/auth/src (issue #13): the lint rule that enforces them, and the folder graph of the
// sources as they are, read independently of the rule.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Linter } from 'eslint'
import tseslint from 'typescript-eslint'
import layers, { LAYERS, layerViolation } from '../../scripts/lint/layers.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SRC = join(ROOT, 'packages/auth/src')
const at = (path: string): string => join(SRC, path)

t.test('imports point down the layers; peers and upward imports are refused', async (t) => {
  t.equal(layerViolation(SRC, at('http/cookies.ts'), at('sessions/client-info.ts')), undefined, 'http may use sessions')
  t.equal(layerViolation(SRC, at('tokens/sign.ts'), at('errors.ts')), undefined, 'everything may use the errors')
  t.equal(layerViolation(SRC, at('plugin.ts'), at('http/routes/index.ts')), undefined, 'the wiring may use anything')
  t.equal(layerViolation(SRC, at('stores/mongo/schema.ts'), at('stores/store.ts')), undefined, 'inside one folder')
  t.match(layerViolation(SRC, at('tokens/sign.ts'), at('keys/key-ring.ts')), /tokens \(layer 1\) may not import keys/)
  t.match(layerViolation(SRC, at('stores/memory.ts'), at('options/normalise.ts')), /may not import options/)
  t.match(layerViolation(SRC, at('errors.ts'), at('tokens/types.ts')), /may not import tokens/)
  t.match(layerViolation(SRC, at('sessions/service.ts'), at('audit/writer.ts')), /peers/)
  t.match(layerViolation(SRC, at('http/cookies.ts'), at('plugin.ts')), /may not import plugin\.ts/, 'nothing imports the wiring')
})

t.test('the rule reports an upward import, a type-only one and a dynamic one', async (t) => {
  const linter = new Linter({ configType: 'flat' })
  const config = [{ files: ['**/*.ts'], plugins: { authgate: layers }, languageOptions: { parser: tseslint.parser }, rules: { 'authgate/layers': 'error' as const } }]
  const code = [
    "import { x } from '../keys/key-ring.js'",
    "import type { Y } from '../http/augmentation.js'",
    "export { z } from '../stores/store.js'",
    "const m = await import('../plugin.js')",
    "import { ok } from './claims.js'",
    "import { AuthError } from '../errors.js'"
  ].join('\n')
  const messages = linter.verify(code, config, { filename: at('tokens/probe.ts') })
  t.same(messages.map((message) => message.line), [1, 2, 3, 4], 'the four upward imports, not the two downward')
  t.ok(messages.every((message) => message.ruleId === 'authgate/layers'))
})

t.test('the rule sees through templates, import-require, the package\'s own name and unlisted folders', async (t) => {
  const linter = new Linter({ configType: 'flat' })
  const config = [{ files: ['**/*.ts'], plugins: { authgate: layers }, languageOptions: { parser: tseslint.parser }, rules: { 'authgate/layers': 'error' as const } }]
  const code = [
    'const a = await import(`../plugin.js`)',
    "import b = require('../http/cookies.js')",
    "import { c } from '@authgate/fastify/admin'",
    "import { d } from '@authgate/fastify'",
    'const e = await import(`../${name}.js`)',
    "import { f } from '../brand-new/thing.js'",
    "import g = require('./claims.js')"
  ].join('\n')
  const messages = linter.verify(code, config, { filename: at('tokens/probe.ts') })
  t.same(messages.map((message) => message.line), [1, 2, 3, 4, 5, 6], 'each but the last, which stays in its folder')
  t.match(messages[5]?.message, /brand-new is in no layer/)
})

t.test('the lint configuration applies the rule to the plugin sources, and keeps others to its entries', async (t) => {
  const text = readFileSync(join(ROOT, 'eslint.config.js'), 'utf8')
  t.match(text, /files: \['packages\/auth\/src\/\*\*\/\*\.ts'\],\s*plugins: \{ authgate: layers \},\s*rules: \{ 'authgate\/layers': 'error' \}/)
  t.match(text, /'@authgate\/fastify\/src\/\*\*'/, 'no package reaches into the plugin\'s files')
})

t.test('the folder graph of the sources has no cycle', async (t) => {
  const files: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (path.endsWith('.ts')) files.push(path)
    }
  }
  walk(SRC)
  const unit = (file: string): string => relative(SRC, file).split(sep)[0]!
  const edges = new Map<string, Set<string>>()
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts')
      const [from, to] = [unit(file), unit(target)]
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to))
    }
  }
  // Kahn's algorithm: a cycle leaves units that never reach in-degree 0.
  const units = new Set([...edges.keys(), ...[...edges.values()].flatMap((set) => [...set])])
  const incoming = new Map([...units].map((name) => [name, 0]))
  for (const targets of edges.values()) for (const target of targets) incoming.set(target, incoming.get(target)! + 1)
  const ready = [...units].filter((name) => incoming.get(name) === 0)
  let seen = 0
  while (ready.length > 0) {
    const name = ready.pop()!
    seen++
    for (const target of edges.get(name) ?? []) {
      incoming.set(target, incoming.get(target)! - 1)
      if (incoming.get(target) === 0) ready.push(target)
    }
  }
  t.equal(seen, units.size, `acyclic over ${units.size} folders and root files`)
  t.ok(LAYERS.flat().every((name) => units.has(name) || name === 'testing'), 'every layer named exists in the sources')
})
