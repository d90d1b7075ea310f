// Runs delivery jobs (the account lookup, the token write, the event and the mail) after the request has been
// answered: `forgot` then answers alike and as fast for known and unknown emails. Bounded: a flood of requests
// beyond MAX_PENDING drops jobs (counted, logged throttled) instead of holding memory. A few jobs run at once
// (DELIVERY_CONCURRENCY): one slow mail server round trip must not hold every other user's link, and more would
// only open more SMTP connections than a mail server welcomes from one client.
import type { FastifyBaseLogger } from 'fastify'
import { createThrottledWarning } from '../internal/log-throttle.js'

export const MAX_PENDING = 1000
export const DELIVERY_CONCURRENCY = 3

export interface DeliveryQueue {
  push: (job: () => Promise<void>) => void
  /** Resolves once every job queued so far has ended (tests, close). */
  idle: () => Promise<void>
  /** Jobs refused so far: the queue was full, or stopped. */
  dropped: () => number
  /** Refuses new jobs and forgets the waiting ones (the running ones end on their own). Returns how many it forgot. */
  stop: () => number
}

export type QueueLogger = Pick<FastifyBaseLogger, 'warn'>

export function createDeliveryQueue (logger: QueueLogger, concurrency = DELIVERY_CONCURRENCY, maxPending = MAX_PENDING): DeliveryQueue {
  const pending: Array<() => Promise<void>> = []
  const idleWaiters: Array<() => void> = []
  const throttled = createThrottledWarning()
  let running = 0
  let stopped = false
  let droppedCount = 0

  async function worker (): Promise<void> {
    // Answered first: the job starts on a later turn of the event loop than the reply.
    await new Promise((resolve) => setImmediate(resolve))
    for (let job = pending.shift(); job !== undefined && !stopped; job = pending.shift()) {
      try {
        await job()
      } catch (error) {
        // Jobs log their own failures; this is the net under a bug. Never the job's data: it may hold a token.
        logger.warn({ event: 'recovery_delivery_failed', err: error instanceof Error ? error.name : 'unknown' }, 'authgate: a recovery delivery failed')
      }
    }
    running--
    if (running === 0) for (const wake of idleWaiters.splice(0)) wake()
  }

  return {
    push (job) {
      if (stopped) {
        droppedCount++
        return
      }
      if (pending.length >= maxPending) {
        droppedCount++
        throttled.warn(logger, 'recovery_queue_full', { event: 'recovery_queue_full', dropped: droppedCount }, 'authgate: recovery delivery queue full, request dropped')
        return
      }
      pending.push(job)
      if (running < concurrency) {
        running++
        void worker()
      }
    },
    async idle () {
      if (running === 0) return
      await new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
    dropped: () => droppedCount,
    stop () {
      stopped = true
      const forgotten = pending.length
      pending.length = 0
      droppedCount += forgotten
      return forgotten
    }
  }
}
