// Growth of work with input size, measured as a ratio (never as an absolute time): a large input is `factor` times
// a small one, so a linear function spends about as long on one large call as on `factor` small ones. The ratio of
// those two times is ~1 for linear work (cache effects move it by a small factor either way) and ~`factor` for
// quadratic work. The fastest of several interleaved trials makes preempted trials on a busy machine irrelevant.

/** Large inputs are this many times longer than small ones. */
export const FACTOR = 64
/** Medium inputs, measured first: quadratic work already shows at this size, before a call that may take seconds. */
export const EARLY_FACTOR = 8
export const SMALL = 1000
export const LARGE = SMALL * FACTOR

export interface Growth {
  /** time(large) / (factor × time(small)): ~1 linear, ~factor quadratic. */
  ratio: number
  /** The size factor the ratio was measured at (EARLY_FACTOR when the medium size already showed growth). */
  factor: number
}

/** `unit` repeated and cut to exactly `length` characters, after `head` and before `tail`. */
export function run (head: string, unit: string, length: number, tail = ''): string {
  const body = length - head.length - tail.length
  return head + unit.repeat(Math.ceil(body / unit.length)).slice(0, body) + tail
}

function timeBatch (fn: (input: string) => unknown, input: string, calls: number): number {
  const start = process.hrtime.bigint()
  for (let call = 0; call < calls; call++) fn(input)
  return Number(process.hrtime.bigint() - start)
}

/** time(big) / (factor × time(small)), the fastest of `trials` interleaved batches of ~0.5 ms each. */
function ratioAt (fn: (input: string) => unknown, small: string, big: string, factor: number, trials: number): number {
  // Sized on whichever side is slower, so neither batch runs long (early exits make some large calls cheap).
  const once = Math.max(1, timeBatch(fn, big, 1), timeBatch(fn, small, factor))
  const calls = Math.max(1, Math.min(200, Math.ceil(500_000 / once)))
  let bigBest = Infinity
  let smallBest = Infinity
  for (let trial = 0; trial < trials; trial++) {
    // Other processes, GC and preemption only ever add time: the fastest trial is the least noisy.
    smallBest = Math.min(smallBest, timeBatch(fn, small, calls * factor))
    bigBest = Math.min(bigBest, timeBatch(fn, big, calls))
  }
  return bigBest / Math.max(1, smallBest)
}

/**
 * How the work of `fn` grows from SMALL to LARGE inputs built by `make`. Measured at EARLY_FACTOR first: when the
 * work already grows there by more than half of what quadratic work would (`earlyLimit`), that is the answer.
 */
export function measureGrowth (fn: (input: string) => unknown, make: (length: number) => string, earlyLimit: number, trials = 5): Growth {
  const small = make(SMALL)
  const early = ratioAt(fn, small, make(SMALL * EARLY_FACTOR), EARLY_FACTOR, 3)
  if (early > earlyLimit) return { ratio: early, factor: EARLY_FACTOR }
  return { ratio: ratioAt(fn, small, make(LARGE), FACTOR, trials), factor: FACTOR }
}
