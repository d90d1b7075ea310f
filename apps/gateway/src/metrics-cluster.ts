// /metrics across `server.workers`: a scrape arrives at one worker, but the counts live in every worker. The worker
// asks the primary (a request id, a bounded wait); the primary asks each listening worker for its registry as JSON
// (its own small protocol, not prom-client's AggregatorRegistry.clusterMetrics(): that one keeps a map entry per
// timed-out collection, fails the whole scrape on one slow worker and throws on a late answer) and sums what arrived
// with prom-client's AggregatorRegistry.aggregate(). A worker that missed the deadline shows as a lower
// authgate_workers_reporting. When no aggregate can be had the scrape fails (503): serving one worker's counts under
// the same names would read as counter resets to Prometheus.
import type { Cluster, Worker } from 'node:cluster'
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client'

const REQUEST = 'authgate:metrics-request'
const RESPONSE = 'authgate:metrics-response'
const COLLECT = 'authgate:metrics-collect'
const REPORT = 'authgate:metrics-report'
/** How long the primary waits for the workers' registries. */
export const COLLECT_WAIT_MS = 5000
/** A worker waits a little longer for the primary's aggregate than the primary waits for the workers. */
export const CLUSTER_METRICS_WAIT_MS = 6000
/**
 * After a primary stayed silent (not `authgate start`'s: pm2's cluster mode, another supervisor), scrapes fail at
 * once for this long instead of each waiting CLUSTER_METRICS_WAIT_MS again.
 */
export const SILENT_PRIMARY_BACKOFF_MS = 60_000

type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>
interface MetricsRequest { type: typeof REQUEST, id: number }
interface MetricsResponse { type: typeof RESPONSE, id: number, text?: string, error?: string }
interface CollectRequest { type: typeof COLLECT, id: number }
interface CollectReport { type: typeof REPORT, id: number, metrics?: MetricsJson, error?: string }

/** What a worker talks to the primary through (`process` in a cluster worker). */
export interface MetricsChannel {
  send?: (message: MetricsRequest | CollectReport) => boolean
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

/** The primary did not answer at all (as opposed to answering an error). */
export class PrimarySilentError extends Error {}
/** /metrics cannot be served: the cluster's aggregate is unavailable (health.ts answers 503). */
export class MetricsUnavailableError extends Error {}

let nextId = 0

/** The aggregate text from the primary; rejects when it does not answer within `waitMs` or answers an error. */
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

/** In a worker: answers the primary's collections with `registry` as JSON. Returns a function that stops it. */
export function answerCollections (registry: Registry, channel: MetricsChannel = process): () => void {
  const reply = (message: CollectReport): void => {
    try {
      channel.send?.(message)
    } catch { /* the primary went away: nobody is waiting */ }
  }
  const listener = (message: unknown): void => {
    if (!isMessage<CollectRequest>(message, COLLECT)) return
    const { id } = message
    registry.getMetricsAsJSON().then(
      (metrics) => { reply({ type: REPORT, id, metrics }) },
      (error: unknown) => { reply({ type: REPORT, id, error: (error as Error).message }) }
    )
  }
  channel.on('message', listener)
  return () => { channel.off('message', listener) }
}

/**
 * In a cluster worker: answers the primary's collections with `registry` and returns the renderer /metrics uses:
 * the cluster's aggregate, or a MetricsUnavailableError. Concurrent scrapes share one request to the primary.
 */
export function joinClusterMetrics (registry: Registry, log: MetricsLog, channel: MetricsChannel = process, waitMs = CLUSTER_METRICS_WAIT_MS): () => Promise<string> {
  answerCollections(registry, channel)
  let silentUntil = 0
  let inFlight: Promise<string> | undefined
  const ask = async (): Promise<string> => {
    try {
      return await askPrimary(channel, waitMs)
    } catch (error) {
      if (error instanceof PrimarySilentError) silentUntil = Date.now() + SILENT_PRIMARY_BACKOFF_MS
      log.warn({ event: 'metrics_cluster_unavailable', err: error }, 'metrics: scrape refused (503): the cluster aggregate is unavailable')
      throw new MetricsUnavailableError('the cluster aggregate is unavailable')
    } finally {
      inFlight = undefined
    }
  }
  return async () => {
    if (Date.now() < silentUntil) throw new MetricsUnavailableError('the cluster primary did not answer recently')
    inFlight ??= ask()
    return inFlight
  }
}

interface Collection {
  readonly expected: Set<number>
  readonly reports: Map<number, MetricsJson>
  readonly done: () => void
}

/**
 * In the primary: answers workers' requests with the registries of every worker that is listening, summed.
 * Concurrent requests share one collection. `pending` counts the collections waiting (tests: it stays bounded).
 */
export function serveClusterMetrics (cluster: Pick<Cluster, 'on' | 'off'>, waitMs = COLLECT_WAIT_MS): { stop: () => void, pending: () => number } {
  const listening = new Map<number, Worker>()
  /** At most one at a time (coalesced); an entry leaves on completion or timeout. */
  const collections = new Map<number, Collection>()
  let inFlight: Promise<string> | undefined

  const collect = async (): Promise<string> => {
    const id = nextId++
    const reports = new Map<number, MetricsJson>()
    const expected = new Set<number>()
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        collections.delete(id)
        resolve()
      }
      const timer = setTimeout(done, waitMs)
      collections.set(id, { expected, reports, done })
      for (const worker of listening.values()) {
        try {
          if (!worker.isConnected()) continue
          expected.add(worker.id)
          worker.send({ type: COLLECT, id } satisfies CollectRequest)
        } catch { expected.delete(worker.id) /* gone meanwhile */ }
      }
      if (expected.size === 0) done()
    })
    // What arrived: a worker that missed the deadline lowers authgate_workers_reporting instead of failing the scrape.
    if (reports.size === 0) throw new Error('no worker answered')
    return AggregatorRegistry.aggregate([...reports.values()]).metrics()
  }

  const onReport = (worker: Worker, message: CollectReport): void => {
    const collection = collections.get(message.id)
    // Late (after the timeout), foreign, or a second answer from the same worker: ignored.
    if (collection === undefined || !collection.expected.has(worker.id) || collection.reports.has(worker.id)) return
    if (Array.isArray(message.metrics)) collection.reports.set(worker.id, message.metrics)
    else collection.expected.delete(worker.id)
    if (collection.reports.size === collection.expected.size) collection.done()
  }
  const answer = (worker: Worker, message: MetricsResponse): void => {
    try {
      if (worker.isConnected()) worker.send(message)
    } catch { /* the worker went away meanwhile: nobody is waiting */ }
  }
  const onMessage = (worker: Worker, message: unknown): void => {
    if (isMessage<CollectReport>(message, REPORT)) { onReport(worker, message); return }
    if (!isMessage<MetricsRequest>(message, REQUEST)) return
    const { id } = message
    inFlight ??= collect().finally(() => { inFlight = undefined })
    inFlight.then(
      (text) => { answer(worker, { type: RESPONSE, id, text }) },
      (error: unknown) => { answer(worker, { type: RESPONSE, id, error: (error as Error).message }) }
    )
  }
  const onListening = (worker: Worker): void => { listening.set(worker.id, worker) }
  const onExit = (worker: Worker): void => {
    listening.delete(worker.id)
    // A worker that exits mid-collection will not answer: do not wait the full deadline for it.
    for (const collection of collections.values()) {
      if (collection.expected.delete(worker.id) && collection.reports.size >= collection.expected.size) collection.done()
    }
  }
  cluster.on('message', onMessage)
  cluster.on('listening', onListening)
  cluster.on('exit', onExit)
  const stop = (): void => {
    cluster.off('message', onMessage)
    cluster.off('listening', onListening)
    cluster.off('exit', onExit)
  }
  return { stop, pending: () => collections.size }
}
