// docs/security.md is generated from the catalogue's data (cases/*.ts) and the fault tests' names, so it cannot
// drift from what the tests assert. This test fails when the file is stale; with AUTHGATE_WRITE_DOCS=1
// (`pnpm docs:security`) it rewrites it instead.
import t from 'tap'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { renderSecurityDoc } from './lib/table.js'
import { group as tokens } from './cases/tokens.js'
import { group as gateway } from './cases/gateway.js'
import { group as cookies } from './cases/cookies.js'
import { group as login } from './cases/login.js'
import { group as configuration } from './cases/route-policy.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const docPath = join(root, 'docs', 'security.md')

/** Top-level `t.test('…'` names of the fault and several-instance test files. */
function faultTests (): { name: string, file: string }[] {
  const found: { name: string, file: string }[] = []
  for (const folder of ['test/faults', 'test/instances']) {
    for (const file of readdirSync(join(root, folder)).filter((name) => name.endsWith('.test.ts')).sort()) {
      const source = readFileSync(join(root, folder, file), 'utf8')
      // The name up to its closing quote, escaped quotes included (`'the issuer\'s keys'`), unescaped.
      for (const match of source.matchAll(/^t\.test\((['`"])((?:\\.|(?!\1)[^\\\n])+)\1/gm)) {
        found.push({ name: (match[2] ?? '').replace(/\\(.)/g, '$1'), file: `${folder}/${file}` })
      }
    }
  }
  return found
}

t.test('docs/security.md is generated from the catalogue and is up to date', async (t) => {
  const groups = [tokens, gateway, cookies, login, configuration]
  for (const group of groups) t.ok(group.cases.length > 0, `section ${group.section} has cases`)
  const expected = renderSecurityDoc(groups, faultTests())
  if (process.env.AUTHGATE_WRITE_DOCS === '1') {
    writeFileSync(docPath, expected)
    t.pass('docs/security.md written')
    return
  }
  let actual = ''
  try { actual = readFileSync(docPath, 'utf8') } catch { /* missing: the comparison below fails */ }
  t.equal(actual, expected, 'docs/security.md matches the catalogue: run `pnpm docs:security`')
})
