// The coverage floor: the verdict a whole-suite run prints, and the rule that the floor only rises, read from the
// floor file's own git history (a change that lowers it fails here, in the same CI run).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { FLOOR_FILE, parseFloor, readFloor, verdict } from '../coverage-floor.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

t.test('below the floor fails, at or above passes, far above suggests raising it', async (t) => {
  t.equal(verdict(61.9, 62).ok, false)
  t.match(verdict(61.9, 62).message, /below the floor of 62%/)
  t.equal(verdict(62, 62).ok, true)
  t.notMatch(verdict(62.5, 62).message, /raise/)
  t.match(verdict(64.2, 62).message, /raise the floor .* to 64/)
  t.equal(verdict(null, 62).ok, false, 'a run that measured nothing cannot pass the floor')
})

t.test('the floor file holds a percentage', async (t) => {
  t.throws(() => parseFloor('{"lines": "80"}'), /percentage/)
  t.throws(() => parseFloor('{"lines": 101}'), /percentage/)
  t.equal(parseFloor('{"lines": 80.5}'), 80.5)
  t.ok(readFloor(ROOT) > 0, 'the repository sets a floor')
})

t.test('the floor never went down in the history of the file', async (t) => {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' })
  let commits: string[]
  try {
    commits = git('log', '--format=%H', '--', FLOOR_FILE).split('\n').filter(Boolean).reverse()
  } catch {
    t.pass('not a git checkout: no history to compare')
    return
  }
  const floors = commits.map((commit) => {
    try {
      return parseFloor(git('show', `${commit}:${FLOOR_FILE}`))
    } catch {
      return null // the commit that removed or renamed it
    }
  }).filter((floor): floor is number => floor !== null)
  floors.push(readFloor(ROOT)) // the working tree: an uncommitted change is held to the rule too
  for (let i = 1; i < floors.length; i++) t.ok(floors[i]! >= floors[i - 1]!, `floor ${floors[i - 1]} → ${floors[i]}`)
})
