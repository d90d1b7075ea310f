// The coverage floor of the whole suite: `pnpm test` without file arguments measures line coverage across every test
// process and the processes they spawn (tap's processinfo), and fails when it falls below the floor kept in
// test/coverage-floor.json. The floor only rises (test/tooling/coverage-floor.test.ts reads its git history): when
// the figure printed is well above it, raise it in the same change that earned it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const FLOOR_FILE = 'test/coverage-floor.json'
/** How far above the floor the figure may sit before the run suggests raising it. */
const SLACK = 1

/** The floor's line percentage from the file's text. */
export function parseFloor (text) {
  const lines = JSON.parse(text).lines
  if (typeof lines !== 'number' || !(lines >= 0 && lines <= 100)) throw new Error(`${FLOOR_FILE}: "lines" must be a percentage`)
  return lines
}

/** tap's json-summary report of the last run (.tap/report), or null when the run measured nothing. */
export function measuredLines (root) {
  try {
    const pct = JSON.parse(readFileSync(join(root, '.tap/report/coverage-summary.json'), 'utf8')).total.lines.pct
    return typeof pct === 'number' ? pct : null
  } catch {
    return null
  }
}

/** The verdict printed after a whole-suite run: `ok` false fails the run. */
export function verdict (measured, floor) {
  if (measured === null) return { ok: false, message: `coverage: no figure was measured (floor ${floor}% of lines)` }
  if (measured < floor) return { ok: false, message: `coverage: ${measured}% of lines, below the floor of ${floor}% (${FLOOR_FILE})` }
  const hint = measured >= floor + SLACK ? `; raise the floor in ${FLOOR_FILE} to ${Math.floor(measured)}` : ''
  return { ok: true, message: `coverage: ${measured}% of lines (floor ${floor}%${hint})` }
}

export function readFloor (root) {
  return parseFloor(readFileSync(join(root, FLOOR_FILE), 'utf8'))
}
