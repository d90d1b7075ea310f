// `notifications.newDeviceWebhook`: a login from a device unknown for that user is POSTed as JSON. Best effort,
// off the request path: a slow or failing webhook never delays or fails the login; it is retried a couple of times
// and then logged.
import type { NewDeviceEvent } from '../events.js'

export interface WebhookLogger {
  warn: (object: Record<string, unknown>, message: string) => void
}

export interface WebhookOptions {
  url: string
  timeoutMs?: number
  /** Delays before each retry, ms. Default [500, 2000]: two retries. */
  retryDelaysMs?: readonly number[]
  logger: WebhookLogger
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function post (url: string, body: string, timeoutMs: number): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'authgate' },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs)
  })
  await response.body?.cancel()
  return response.status
}

/** An event listener for `newDevice`. Returns at once; the delivery runs in the background. */
export function createNewDeviceWebhook (options: WebhookOptions): (event: NewDeviceEvent) => void {
  const timeoutMs = options.timeoutMs ?? 5000
  const delays = options.retryDelaysMs ?? [500, 2000]
  async function deliver (event: NewDeviceEvent): Promise<void> {
    const body = JSON.stringify({ type: 'newDevice', ...event, at: event.at.toISOString() })
    let lastProblem = ''
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await sleep(delays[attempt - 1] ?? 1000)
      try {
        const status = await post(options.url, body, timeoutMs)
        if (status >= 200 && status < 300) return
        lastProblem = `status ${status}`
        // A 4xx other than 408/429 will not get better by retrying.
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) break
      } catch (error) {
        lastProblem = (error as Error).name
      }
    }
    options.logger.warn({ event: 'new_device_webhook_failed', userId: event.userId, problem: lastProblem }, 'newDevice webhook delivery failed')
  }
  return (event) => { void deliver(event) }
}
