// `notifications.newDeviceWebhook` and `newIpWebhook`: the event is POSTed as JSON (`{ type, ...event }`). Best
// effort, off the request path: a slow or failing webhook never delays or fails the login; it is retried a couple of
// times and then logged.
import type { AuthgateEventMap, NewDeviceEvent, NewIpEvent } from '../events.js'

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
  return createEventWebhook('newDevice', 'new_device_webhook_failed', options)
}

/** An event listener for `newIp`. Returns at once; the delivery runs in the background. */
export function createNewIpWebhook (options: WebhookOptions): (event: NewIpEvent) => void {
  return createEventWebhook('newIp', 'new_ip_webhook_failed', options)
}

type WebhookEventName = 'newDevice' | 'newIp'

function createEventWebhook<K extends WebhookEventName> (type: K, failure: string, options: WebhookOptions): (event: AuthgateEventMap[K]) => void {
  const timeoutMs = options.timeoutMs ?? 5000
  const delays = options.retryDelaysMs ?? [500, 2000]
  async function deliver (event: AuthgateEventMap[K]): Promise<void> {
    const body = JSON.stringify({ type, ...event, at: event.at.toISOString() })
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
    options.logger.warn({ event: failure, userId: event.userId, problem: lastProblem }, `${type} webhook delivery failed`)
  }
  return (event) => { void deliver(event) }
}
