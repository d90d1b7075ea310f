// Keeps Node's `process.nextTick` cheap for the life of the process (docs/profiling.md, "A process state that is not
// the code"). nextTick builds each tick as an object literal with computed (symbol) keys. V8 keeps the hidden classes
// of such a literal only while some object still uses them: a full garbage collection that runs while no tick is
// queued frees them, the next tick builds new ones, and after a few such collections the literal's feedback is
// megamorphic for good. Every tick object is then built through V8's runtime: ≈ 0.5–1 µs instead of ≈ 0.05 for each
// of the ≈ 9 ticks Node's HTTP and stream code makes per request (≈ 10 µs per request, in half to all of the gateway
// processes profiled on 2026-12-03).
// One tick object held for the life of the process keeps its hidden classes (and their transition chain) alive.
import { executionAsyncResource } from 'node:async_hooks'

let scheduled = false
let held: object | undefined

/**
 * Holds one tick object of this process (once; later calls do nothing). Call it early: the decay can happen during
 * start-up (measured: before the gateway listened, while the plugin registered), and once megamorphic, always.
 */
export function holdTickShape (): void {
  if (scheduled) return
  scheduled = true
  // Inside a tick callback the current async resource is the tick object itself (public API, no hook enabled).
  process.nextTick(() => { held = executionAsyncResource() })
}

/** Whether this process holds its tick object (tests). */
export function tickShapeHeld (): boolean {
  return held !== undefined
}
