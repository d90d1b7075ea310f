// tick-shape.ts: with one tick object held, full garbage collections run while no tick is queued no longer turn the
// feedback of Node's process.nextTick literal megamorphic. Checked in a child process with V8's own view of that
// feedback (%DebugPrint), beside a control run without the hold that must show the decay: if this Node no longer
// decays, the check is skipped with that reason rather than passing for nothing.
import { spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { typescriptNodeArgs } from '@authgate/test-kit/node-args'

const MODULE = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'tick-shape.ts')

// Bounded: 12 rounds of 1 000 ticks, each followed by a full collection with the tick queue empty.
const SCRIPT = `
const { holdTickShape } = await import(${JSON.stringify(MODULE)})
if (process.argv.includes('hold')) holdTickShape()
for (let round = 0; round < 12; round++) {
  for (let i = 0; i < 1000; i++) process.nextTick(() => {})
  await new Promise((resolve) => setImmediate(resolve))
  globalThis.gc()
}
%DebugPrint(process.nextTick)
`

/** The feedback states of nextTick's literal (one per computed or later key), as V8 prints them. */
function literalFeedback (dir: string, hold: boolean): string[] {
  // V8 prints through C's stdio: into a file, which is flushed whole at exit (through a pipe the tail was lost).
  const path = join(dir, hold ? 'held.txt' : 'control.txt')
  const out = openSync(path, 'w')
  try {
    // Through env(1), without the coverage tap's processinfo adds to every child it sees spawned: V8's block
    // coverage allocates feedback eagerly, and the literal's decay then happens before the hold can be taken.
    const node = [process.execPath, ...typescriptNodeArgs(), '--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', SCRIPT, ...(hold ? ['hold'] : [])]
    const run = spawnSync('env', ['-i', `PATH=${process.env.PATH ?? ''}`, ...node], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', timeout: 30_000 })
    if (run.status !== 0) throw new Error(`child failed (${String(run.status)}): ${run.stderr}`)
  } finally {
    closeSync(out)
  }
  return [...readFileSync(path, 'utf8').matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1] ?? '')
}

t.test('a held tick object keeps nextTick\'s literal feedback from going megamorphic', async (t) => {
  const dir = t.testdir({})
  const control = literalFeedback(dir, false)
  t.ok(control.length > 0, 'V8 prints the literal\'s feedback slots')
  if (!control.includes('MEGAMORPHIC')) {
    t.pass('nothing to compare', { skip: `this Node does not show the decay without the hold (feedback: ${control.join(', ')})` })
    return
  }
  const held = literalFeedback(dir, true)
  t.same(held.filter((state) => state === 'MEGAMORPHIC'), [], `no slot goes megamorphic (held: ${held.join(', ')}; control run: ${control.join(', ')})`)
})

t.test('building a gateway holds it: app.ts calls it when imported', async (t) => {
  await import('../src/app.js')
  await new Promise((resolve) => { process.nextTick(resolve) })
  const { tickShapeHeld } = await import('../src/tick-shape.js')
  t.ok(tickShapeHeld(), 'the tick object is held once app.ts is loaded')
})
