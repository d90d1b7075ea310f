// Growth of work with input size, measured as a ratio (never as an absolute time): `large` is FACTOR times `small`,
// so a linear function spends about as long on one large call as on FACTOR small ones. The ratio of those two
// times is ~1 for linear work (cache effects move it by a small factor either way) and ~FACTOR for quadratic work.
// Medians of interleaved trials make one preempted trial on a busy machine irrelevant.

/** Small inputs are this many times shorter than large ones. */
export const FACTOR = 64
export const SMALL = 1000
export const LARGE = SMALL * FACTOR

/** A first ratio this high ends the measurement (quadratic work is ≈ FACTOR; this is several times that). */
const GROSS = FACTOR * 4

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

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/**
 * time(large) / (FACTOR × time(small)), each the median of `trials` interleaved batches. A batch repeats the large
 * call often enough to take ~0.5 ms (so timer resolution does not matter) and the small call FACTOR times as often.
 */
export function growthRatio (fn: (input: string) => unknown, small: string, large: string, trials = 5): number {
  const smallOnce = Math.max(1, timeBatch(fn, small, FACTOR * 4) / 4)
  // Gross growth shows on the first large call: no repetitions of a call that may take seconds.
  const first = timeBatch(fn, large, 1) / smallOnce
  if (first > GROSS) return first
  fn(large)
  // Sized on whichever side is slower, so neither batch runs long (early exits make some large calls cheap).
  const once = Math.max(1, timeBatch(fn, large, 1), timeBatch(fn, small, FACTOR))
  const calls = Math.max(1, Math.min(200, Math.ceil(500_000 / once)))
  const largeTimes: number[] = []
  const smallTimes: number[] = []
  for (let trial = 0; trial < trials; trial++) {
    smallTimes.push(timeBatch(fn, small, calls * FACTOR))
    largeTimes.push(timeBatch(fn, large, calls))
  }
  return median(largeTimes) / Math.max(1, median(smallTimes))
}
