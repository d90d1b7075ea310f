// Runs one section of the attack catalogue: every case is a named tap test against one shared target (cases that
// need fresh state start their own with `target.fresh`). The expectation is asserted here, from the same data the
// docs/security.md table is generated from.
import type { Test } from 'tap'
import type { AttackCase, CaseGroup, Outcome } from './case.js'
import { startTarget, type AttackTarget, type TargetOptions } from './target.js'

export function testName (attack: AttackCase): string {
  return `${attack.id} ${attack.name}`
}

function statuses (attack: AttackCase): readonly number[] {
  return typeof attack.expect.status === 'number' ? [attack.expect.status] : attack.expect.status
}

async function assertCase (t: Test, attack: AttackCase, target: AttackTarget): Promise<void> {
  const before = target.upstream.seen.length
  const outcome: Outcome = await attack.attack(target)
  const allowed = statuses(attack)
  t.ok(allowed.includes(outcome.status), `status ${outcome.status} is one of ${allowed.join('/')}`, { body: outcome.body.slice(0, 300) })
  t.not(outcome.status, 500, 'never a 500')
  if (attack.expect.code !== undefined) t.equal(outcome.code, attack.expect.code, `code ${attack.expect.code}`)
  if (attack.expect.upstream === 'untouched') {
    t.equal(target.upstream.seen.length, before, 'nothing reached the upstream')
  } else if (attack.expect.upstream === 'reached') {
    t.ok(target.upstream.seen.length > before, 'the request reached the upstream')
  }
  if (attack.check !== undefined) await attack.check(outcome, target)
}

/** Registers one tap test per case of `group` on `t` (the test file's root). */
export function runCatalogue (t: Test, group: CaseGroup, options: TargetOptions = {}): void {
  let shared: Promise<AttackTarget> | undefined
  const target = (): Promise<AttackTarget> => (shared ??= startTarget(t, options))
  const ids = new Set<string>()
  for (const attack of group.cases) {
    const name = testName(attack)
    if (ids.has(name)) throw new Error(`two cases named "${name}"`)
    ids.add(name)
    t.test(name, async (t) => { await assertCase(t, attack, await target()) })
  }
}
