// Renders docs/security.md from the catalogue's data, so the documented answer of every case is the one its test
// asserts. table.test.ts fails when the file is stale; `pnpm docs:security` rewrites it.
import { STARTUP_REFUSED, type AttackCase, type CaseGroup } from './case.js'

function cell (text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

function answer (attack: AttackCase): string {
  if (attack.expect.status === STARTUP_REFUSED) return 'refused at start-up'
  const status = typeof attack.expect.status === 'number' ? String(attack.expect.status) : attack.expect.status.join(' or ')
  return attack.expect.code === undefined ? status : `${status} \`${attack.expect.code}\``
}

const UPSTREAM: Record<AttackCase['expect']['upstream'], string> = {
  untouched: 'never reached',
  reached: 'reached, checked',
  'n/a': '—'
}

export function renderSecurityDoc (groups: readonly CaseGroup[], faults: readonly { name: string, file: string }[]): string {
  const lines = [
    '# Security catalogue',
    '',
    '<!-- Generated from test/security/cases/*.ts by test/security/table.test.ts. Do not edit by hand:',
    '     run `pnpm docs:security` after changing a case. -->',
    '',
    'Every row is a test in `test/security/` that sends the attack to a real gateway (in front of a recording',
    'upstream) and asserts the answer shown. "Upstream" says whether the attack may reach the service behind the',
    'gateway. `pnpm test` runs them all.',
    '',
    'The catalogue gathers what an auth gateway must refuse and survive, from RFC 8725 (JWT best current practices),',
    'RFC 9700 (OAuth 2.0 security), RFC 6750, the OWASP JWT, session, authentication and password-storage cheat sheets,',
    'OWASP ASVS V3, and the advisories of fast-jwt, @fastify/jwt, @fastify/reply-from, @fastify/http-proxy and fastify.',
    'An id such as `A.12` names one item of the catalogue: several rows may test one item, and source comments cite',
    'items by id (`docs/security.md A.12`). Two items are checked outside `test/security/`: E.54, an unsafe or',
    'inconsistent key set refuses to start (`packages/auth/test/tokens-options.test.ts`), and E.55, the lockfile',
    'resolves no package below the release that fixed an advisory (`scripts/check-floors.mjs`, run by CI). What',
    'authgate does when the database, Redis or an upstream fails is in [design.md](design.md#failure-behaviour); the',
    'tests of it are listed under [Faults](#faults).',
    ''
  ]
  let total = 0
  for (const group of groups) {
    lines.push(`## ${group.section}. ${group.title}`, '', '| # | Attack | Answer | Upstream | Also asserted |', '|---|---|---|---|---|')
    for (const attack of group.cases) {
      lines.push(`| ${attack.id} | ${cell(attack.name)} | ${answer(attack)} | ${UPSTREAM[attack.expect.upstream]} | ${cell(attack.also ?? '')} |`)
      total++
    }
    lines.push('')
  }
  if (faults.length > 0) {
    lines.push('## Faults', '', 'Fault tests live in `test/faults/` and `test/instances/` (real database, real processes):', '', '| Fault | Test file |', '|---|---|')
    for (const fault of faults) lines.push(`| ${cell(fault.name)} | \`${fault.file}\` |`)
    lines.push('')
  }
  lines.push(`${total} attack cases.`, '')
  return lines.join('\n')
}
