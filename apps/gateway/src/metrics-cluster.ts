// /metrics across `server.workers`: prom-client's AggregatorRegistry must run in the cluster primary (it asks every
// worker for its registry over IPC and sums them), but the scrape arrives at one worker. That worker asks the
// primary over its IPC channel (a request id, a bounded wait) and serves the aggregate; if the primary does not
// answer in time, it serves its own registry and says so in the log, so a scrape never hangs or fails outright.
import type { Cluster, Worker } from 'node:cluster'
import { AggregatorRegistry, type Registry } from 'prom-client'

const REQUEST = 'authgate:metrics-request'
const RESPONSE = 'authgate:metrics-response'
/** prom-client's primary waits 5 s for every worker's answer; a worker waits a little longer for the primary's. */
export const CLUSTER_METRICS_WAIT_MS = 6000
/**
 * After a primary stayed silent (not `authgate start`'s: pm2's cluster mode, another supervisor), scrapes are served
 * from this worker at once for this long instead of each waiting CLUSTER_METRICS_WAIT_MS again.
 */
export const SILENT_PRIMARY_BACKOFF_MS = 60_000

interface MetricsRequest { type: typeof REQUEST, id: number }
interface MetricsResponse { type: typeof RESPONSE, id: number, text?: string, error?: string }

/** What a worker talks to the primary through (`process` in a cluster worker). */
export interface MetricsChannel {
  send?: (message: MetricsRequest) => boolean
  on: (event: 'message', listener: (message: unknown) => void) => unknown
  off: (event: 'message', listener: (message: unknown) => void) => unknown
}

export interface MetricsLog {
  warn: (object: Record<string, unknown>, message: string) => void
}

function isMessage<T extends { type: string }> (message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type &&
    typeof (message as { id?: unknown }).id === 'number'
}

let nextId = 0

/** The aggregate text from the primary; rejects when it does not answer within `waitMs` or answers an error. */
/** The primary did not answer at all (as opposed to answering an error). */
export class PrimarySilentError extends Error {}

export async function askPrimary (channel: MetricsChannel, waitMs: number): Promise<string> {
  const id = nextId++
  return new Promise<string>((resolve, reject) => {
    const finish = (error: Error | undefined, text?: string): void => {
      clearTimeout(timer)
      channel.off('message', listener)
      if (error === undefined) resolve(text ?? '')
      else reject(error)
    }
    const listener = (message: unknown): void => {
      if (!isMessage<MetricsResponse>(message, RESPONSE) || message.id !== id) return
      if (typeof message.text === 'string') finish(undefined, message.text)
      else finish(new Error(`the primary could not aggregate: ${message.error ?? 'no text'}`))
    }
    const timer = setTimeout(() => { finish(new PrimarySilentError(`the primary did not answer within ${waitMs} ms`)) }, waitMs)
    channel.on('message', listener)
    try {
      if (channel.send === undefined) throw new Error('no IPC channel to the primary')
      channel.send({ type: REQUEST, id })
    } catch (error) {
      finish(error as Error)
    }
  })
}

/**
 * In a cluster worker: hands `registry` to prom-client's worker side (it answers the primary's aggregation
 * requests) and returns the renderer /metrics uses: the cluster's aggregate, or this worker's own on failure.
 */
export function joinClusterMetrics (registry: Registry, log: MetricsLog, channel: MetricsChannel = process, waitMs = CLUSTER_METRICS_WAIT_MS): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry])
  // Constructing one installs prom-client's listener that answers the primary (once per process).
  new AggregatorRegistry()
  let silentUntil = 0
  return async () => {
    if (Date.now() < silentUntil) return registry.metrics()
    try {
      return await askPrimary(channel, waitMs)
    } catch (error) {
      if (error instanceof PrimarySilentError) silentUntil = Date.now() + SILENT_PRIMARY_BACKOFF_MS
      log.warn({ event: 'metrics_cluster_fallback', err: error }, 'metrics: serving this worker\'s counts only (the cluster aggregate is unavailable)')
      return registry.metrics()
    }
  }
}

/** In the primary: answers workers' requests with every worker's metrics summed. Returns a function that stops it. */
export function serveClusterMetrics (cluster: Pick<Cluster, 'on' | 'off'>): () => void {
  const aggregator = new AggregatorRegistry()
  const answer = (worker: Worker, message: MetricsResponse): void => {
    try {
      if (worker.isConnected()) worker.send(message)
    } catch { /* the worker went away meanwhile: nobody is waiting */ }
  }
  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isMessage<MetricsRequest>(message, REQUEST)) return
    aggregator.clusterMetrics().then(
      (text) => { answer(worker, { type: RESPONSE, id: message.id, text }) },
      (error: unknown) => { answer(worker, { type: RESPONSE, id: message.id, error: (error as Error).message }) }
    )
  }
  cluster.on('message', onMessage)
  return () => { cluster.off('message', onMessage) }
}
