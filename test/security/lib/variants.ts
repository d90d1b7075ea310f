// Many catalogue items are one attack in several spellings (alg `none`/`None`/`NONE`…). A case sends every variant
// and returns the first answer that differs from its expectation, or the last one, so the runner's assertion fails
// on (and its message shows) the variant that got through.
import type { Expectation, Outcome } from './case.js'

export function matches (outcome: Outcome, expect: Expectation): boolean {
  const statuses = typeof expect.status === 'number' ? [expect.status] : expect.status
  return statuses.includes(outcome.status) && (expect.code === undefined || outcome.code === expect.code)
}

/** Sends the variants one after another (in order, so a failure is reproducible) and picks the answer to judge. */
export async function everyVariant<T> (variants: readonly T[], expect: Expectation, send: (variant: T) => Promise<Outcome>): Promise<Outcome> {
  if (variants.length === 0) throw new Error('a case needs at least one variant')
  let last: Outcome | undefined
  for (const variant of variants) {
    const outcome = await send(variant)
    if (!matches(outcome, expect)) return { ...outcome, body: `variant ${JSON.stringify(variant).slice(0, 200)}: ${outcome.body}` }
    last = outcome
  }
  return last as Outcome
}
