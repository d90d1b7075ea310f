// The one background loop (internal/poller.ts) the revocation list, the key ring and trusted issuers run on.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPoller } from '../src/internal/poller.js'

/** Waits for `condition`, bounded (2 s): a loaded machine delays timers, so positive checks never use a fixed sleep. */
async function until (condition: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < 2000; waited += 5) {
    if (condition()) return true
    await sleep(5)
  }
  return condition()
}

t.test('one run at a time: callers join the run in flight; the next tick waits for the run to end', async (t) => {
  let runs = 0
  let release: () => void = () => {}
  const poller = createPoller({
    work: () => { runs++; return new Promise<void>((resolve) => { release = resolve }) },
    delayMs: () => 5
  })
  const first = poller.run()
  const second = poller.run()
  t.equal(runs, 1, 'joined')
  t.ok(poller.busy)
  release()
  await Promise.all([first, second])
  t.notOk(poller.busy)
  poller.start()
  t.equal(runs, 2, 'start runs at once')
  await sleep(40)
  t.equal(runs, 2, 'a slow run is never stacked on: no tick while it is in flight')
  release()
  t.ok(await until(() => runs >= 3), 'ticks again once it ended')
  poller.stop()
  release()
  const stoppedAt = runs
  await sleep(40)
  t.equal(runs, stoppedAt, 'no tick after stop')
  t.notOk(poller.running)
})

t.test('a rejecting run does not end the loop and is never unhandled', async (t) => {
  let runs = 0
  const poller = createPoller({ work: async () => { runs++; throw new Error('source down') }, delayMs: () => 5 })
  poller.start()
  t.ok(await until(() => runs >= 3), 'kept ticking')
  poller.stop()
})

t.test('due/idle: a tick that is not due waits again; reschedule restarts the wait from now', async (t) => {
  let runs = 0
  let idles = 0
  let due = false
  const poller = createPoller({ work: async () => { runs++ }, delayMs: () => 10, due: () => due, idle: () => { idles++ } })
  poller.start()
  t.ok(await until(() => idles >= 2), 'idle ticks')
  t.equal(runs, 1, 'only the start run while nothing is due')
  due = true
  t.ok(await until(() => runs >= 2), 'runs once due')
  poller.stop()
  poller.reschedule()
  const before = runs
  await sleep(30)
  t.equal(runs, before, 'reschedule after stop does nothing')
  poller.start()
  poller.start()
  t.equal(runs, before + 1, 'a second start while running does nothing')
  poller.stop()
})
