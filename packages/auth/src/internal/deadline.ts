// Bounded waits: a store, Redis or a hook that never answers must neither hold a request nor keep the process alive.
// Timers are unref'd, and the late settlement of abandoned work is swallowed (never an unhandled rejection).

/** Settles like `work`, or rejects with `expired()` once `ms` have passed. */
export async function settleWithin<T> (work: Promise<T>, ms: number, expired: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(expired()) }, ms)
    timer.unref()
  })
  work.catch(() => undefined)
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Waits for `work` to settle (either way) for at most `ms`: true when it did, false when the wait gave up. */
export async function settledWithin (work: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await settleWithin(work.then(() => true, () => true), ms, () => new Error('gave up'))
    return true
  } catch {
    return false
  }
}
