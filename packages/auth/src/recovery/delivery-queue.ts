// Runs delivery jobs (the account lookup, the token write, the event and the mail) after the request has been
// answered: `forgot` then answers alike and as fast for known and unknown emails. Bounded: a flood of requests
// beyond MAX_PENDING drops jobs (logged, throttled) instead of holding memory; one job at a time, in order.
import type { FastifyBaseLogger } from 'fastify'
import { createThrottledWarning } from '../log-throttle.js'

export const MAX_PENDING = 1000

export interface DeliveryQueue {
  push: (job: () => Promise<void>) => void
  /** Resolves once every job queued so far has ended (tests, close). */
  idle: () => Promise<void>
  stop: () => void
}

export type QueueLogger = Pick<FastifyBaseLogger, 'warn'>

export function createDeliveryQueue (logger: QueueLogger): DeliveryQueue {
  const pending: Array<() => Promise<void>> = []
  const idleWaiters: Array<() => void> = []
  const throttled = createThrottledWarning()
  let running = false
  let stopped = false
  let droppedCount = 0

  async function drain (): Promise<void> {
    running = true
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
    pending.length = 0
    running = false
    for (const wake of idleWaiters.splice(0)) wake()
  }

  return {
    push (job) {
      if (stopped) return
      if (pending.length >= MAX_PENDING) {
        droppedCount++
        throttled.warn(logger, 'recovery_queue_full', { event: 'recovery_queue_full', dropped: droppedCount }, 'authgate: recovery delivery queue full, request dropped')
        return
      }
      pending.push(job)
      if (!running) void drain()
    },
    async idle () {
      if (!running) return
      await new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
    stop () { stopped = true }
  }
}
