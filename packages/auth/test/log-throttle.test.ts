// Client-caused warnings are logged at most once per kind per interval, with the count held back (log-throttle.ts).
import t from 'tap'
import { createThrottledWarning } from '../src/internal/log-throttle.js'

function capture () {
  const lines: Array<{ fields: Record<string, unknown>, message: string }> = []
  return { lines, log: { warn: (fields: Record<string, unknown>, message: string) => { lines.push({ fields, message }) } } }
}

t.test('one line per kind per interval; the next one says how many were held back', async (t) => {
  let clock = 1_000_000
  const warnings = createThrottledWarning({ intervalMs: 60_000, now: () => clock })
  const { lines, log } = capture()
  for (let i = 0; i < 500; i++) warnings.warn(log as never, 'full', { event: 'x', i }, 'refused')
  t.equal(lines.length, 1, '500 refusals, one line')
  t.same(lines[0]?.fields, { event: 'x', i: 0 }, 'the first, without a count')
  warnings.warn(log as never, 'other', { event: 'y' }, 'other kind')
  t.equal(lines.length, 2, 'another kind has its own line')
  clock += 59_999
  warnings.warn(log as never, 'full', { event: 'x' }, 'refused')
  t.equal(lines.length, 2, 'still within the interval')
  clock += 1
  warnings.warn(log as never, 'full', { event: 'x' }, 'refused')
  t.equal(lines.length, 3)
  t.same(lines[2]?.fields, { event: 'x', suppressed: 500, suppressedSinceMs: 60_000 }, 'with the count held back since the last line')
  clock += 60_000
  warnings.warn(log as never, 'full', { event: 'x' }, 'refused')
  t.same(lines[3]?.fields, { event: 'x' }, 'nothing held back: no count')
  clock -= 10 * 60_000
  warnings.warn(log as never, 'full', { event: 'x' }, 'refused')
  t.equal(lines.length, 5, 'a clock set back never silences a kind for good')
})

t.test('bounded: past maxKinds, new kinds share one slot', async (t) => {
  const warnings = createThrottledWarning({ intervalMs: 60_000, maxKinds: 3, now: () => 0 })
  const { lines, log } = capture()
  for (let i = 0; i < 1000; i++) warnings.warn(log as never, `kind-${i}`, { i }, 'w')
  t.equal(lines.length, 4, 'three kinds and the overflow slot: one line each')
})

t.test('a clock set back while lines are held back reports them since 0 ms, never a negative time', async (t) => {
  let clock = 1_000_000
  const warnings = createThrottledWarning({ intervalMs: 60_000, now: () => clock })
  const { lines, log } = capture()
  warnings.warn(log as never, 'full', { event: 'x' }, 'refused')
  warnings.warn(log as never, 'full', { event: 'x' }, 'refused')
  clock -= 5000
  warnings.warn(log as never, 'full', { event: 'x' }, 'refused')
  t.same(lines[1]?.fields, { event: 'x', suppressed: 1, suppressedSinceMs: 0 })
})
