// A background loop that re-reads something on a timer (the revocation list, the key ring, a trusted issuer's JWKS):
// one run at a time (a caller asking while one is in flight joins it), the next run scheduled once the last ends, so
// a slow source never stacks runs up, and a timer that never keeps the process alive on its own.

export interface PollerOptions {
  /** One run. Should not reject (failures are the work's to log); a rejection is swallowed by the loop. */
  work: () => Promise<void>
  /** Milliseconds until the next tick, read after each run (a source may ask for sooner or later). */
  delayMs: () => number
  /**
   * At each tick: whether to run now. Default always. A tick that does not run calls `idle` and waits again (the
   * revocation list ticks faster than it polls while its change stream is live, to notice quickly when it is not).
   */
  due?: () => boolean
  idle?: () => void
}

export interface Poller {
  /** Runs now, or joins the run in flight. */
  run: () => Promise<void>
  /** Runs at once, then keeps running on the timer until stop(). Calling it again while running does nothing. */
  start: () => void
  /** No further tick; a run in flight ends on its own. */
  stop: () => void
  /** Restarts the wait for the next tick from now (after a run started from outside the loop). No-op when stopped. */
  reschedule: () => void
  /** Between start() and stop(). */
  readonly running: boolean
  /** Whether a run is in flight. */
  readonly busy: boolean
}

export function createPoller (options: PollerOptions): Poller {
  let timer: NodeJS.Timeout | undefined
  let running = false
  let inFlight: Promise<void> | undefined

  function run (): Promise<void> {
    inFlight ??= options.work().finally(() => { inFlight = undefined })
    return inFlight
  }

  function runThenSchedule (): void {
    void run().catch(() => undefined).finally(schedule)
  }

  function schedule (): void {
    if (!running) return
    // A quick stop()/start() can leave two chains racing here: only one timer may survive.
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(() => {
      if (options.due?.() ?? true) {
        runThenSchedule()
        return
      }
      options.idle?.()
      schedule()
    }, options.delayMs())
    timer.unref()
  }

  return {
    run,
    start () {
      if (running) return
      running = true
      runThenSchedule()
    },
    stop () {
      running = false
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
    reschedule: schedule,
    get running () { return running },
    get busy () { return inFlight !== undefined }
  }
}
