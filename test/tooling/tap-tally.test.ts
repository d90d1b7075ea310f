// The totals line is what CI reads; check the counting against hand-written TAP, including a crashed file.
import t from 'tap'
import { TapTally } from '../tap-tally.mjs'

const feed = (text: string) => {
  const tally = new TapTally()
  for (const line of text.split('\n')) tally.push(line)
  return tally
}

t.test('counts top-level tests of each file, not nested ones', async (t) => {
  const tally = feed([
    '# Subtest: a.test.ts',
    '    # Subtest: one',
    '        ok 1 - nested assert',
    '    ok 1 - one # time=1ms',
    '    not ok 2 - two # time=1ms',
    '    ok 3 - three # SKIP not here',
    'not ok 1 - a.test.ts # time=3ms'
  ].join('\n'))
  t.same(tally.totals(1), { passed: 1, failed: 1, skipped: 1 })
})

t.test('a file that fails with no failing test of its own counts as one failure', async (t) => {
  const tally = feed(['# Subtest: crash.test.ts', '    ok 1 - fine', 'not ok 1 - crash.test.ts # time=1ms'].join('\n'))
  t.same(tally.totals(1), { passed: 1, failed: 1, skipped: 0 })
})

t.test('a non-zero exit with nothing counted still fails', async (t) => {
  t.same(feed('').totals(2), { passed: 0, failed: 1, skipped: 0 })
})
