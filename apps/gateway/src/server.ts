// Running the gateway: listen, graceful shutdown on SIGTERM/SIGINT (stop accepting, let in-flight requests finish,
// then exit; a second signal or the grace period ends it at once), and `server.workers` processes via node:cluster
// (the primary forks workers that each run their own app on the shared port).
import cluster from 'node:cluster'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from './app.js'
import type { GatewayConfig } from './config.js'
import { gatewayVersion } from './cli/version.js'
import { joinClusterMetrics, serveClusterMetrics } from './metrics-cluster.js'
import { createMetricsRegistry } from './metrics-registry.js'
import { opsListenerOf } from './ops-listener.js'

/** Longest a shutdown waits for in-flight requests before the process exits anyway. */
export const SHUTDOWN_GRACE_MS = 25_000

export interface RunningGateway {
  app: FastifyInstance
  /** `http://host:port` it listens on. */
  url: string
  port: number
  /** `http://host:port` of the operations listener (server.ops); undefined without one. */
  opsUrl?: string
}

function urlOf (host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * A cluster worker's metrics: its registry answers the primary's aggregation, and /metrics serves the aggregate.
 * The logger exists only once the app does, hence the indirection.
 */
function workerMetrics (): { options: NonNullable<BuildOptions['metrics']>, setLog: (log: FastifyInstance['log']) => void } {
  const registry = createMetricsRegistry(gatewayVersion())
  let log: { warn: FastifyInstance['log']['warn'] } | undefined
  const render = joinClusterMetrics(registry, { warn: (object, message) => { log?.warn(object, message) } })
  return { options: { registry, render }, setLog: (next) => { log = next } }
}

export async function startServer (config: GatewayConfig, options: BuildOptions = {}): Promise<RunningGateway> {
  const clustered = cluster.isWorker && options.metrics === undefined ? workerMetrics() : undefined
  const app = await buildApp(config, clustered === undefined ? options : { ...options, metrics: clustered.options })
  clustered?.setLog(app.log)
  const ops = opsListenerOf(app)
  let opsUrl: string | undefined
  try {
    await app.listen({ host: config.server.host, port: config.server.port })
    if (ops !== undefined && config.server.ops !== undefined) {
      // Workers share this port as they share the public one (node:cluster); the metrics aggregate either way.
      await ops.listen({ host: config.server.ops.host, port: config.server.ops.port })
      opsUrl = urlOf(config.server.ops.host, (ops.server.address() as AddressInfo).port)
    }
  } catch (error) {
    // A port in use, a bad address: the built app holds the upstream pool, the store connection and timers, which
    // would keep the process alive forever with nothing listening. Close it so the caller can exit.
    await app.close().catch(() => { /* the listen error is the one worth reporting */ })
    throw error
  }
  const { port } = app.server.address() as AddressInfo
  return { app, url: urlOf(config.server.host, port), port, ...(opsUrl === undefined ? {} : { opsUrl }) }
}

/** Closes `app` on the first SIGTERM/SIGINT and exits; `onClosed` runs after the app closed (e.g. stop the demo). */
export function closeOnSignals (app: FastifyInstance, onClosed?: () => Promise<void>): void {
  let closingSince = 0
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closingSince !== 0) {
      // A worker gets Ctrl-C both from the terminal (process group) and from the primary: only a signal sent
      // well after the first means "stop now".
      if (Date.now() - closingSince < 1000) return
      app.log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    closingSince = Date.now()
    app.log.info({ signal }, 'shutting down: no new connections, finishing requests in flight')
    const timer = setTimeout(() => {
      app.log.error('shutdown grace period over: exiting with requests still in flight')
      process.exit(1)
    }, SHUTDOWN_GRACE_MS)
    timer.unref()
    app.close()
      .then(async () => { await onClosed?.() })
      .then(() => { process.exit(0) }, (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down')
        process.exit(1)
      })
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
}

/**
 * The primary of a multi-worker gateway: forks `workers` processes running the same command (node:cluster
 * re-executes this entry point with the same arguments), restarts one that dies unexpectedly after it was
 * listening, and passes SIGTERM/SIGINT on so each worker shuts down gracefully. Resolves 0 when every worker has
 * exited after a signal; 1 when a worker died before it ever listened (port in use, bad config, unreachable
 * store): restarting it would only fail the same way in a loop, so the other workers are stopped instead.
 */
export async function runPrimary (workers: number, log: (message: string) => void): Promise<number> {
  let stopping = false
  let failed = false
  const listened = new Set<number>()
  cluster.on('listening', (worker) => { listened.add(worker.id) })
  // One /metrics scrape at any worker reports every worker's counts (metrics-cluster.ts).
  serveClusterMetrics(cluster)
  for (let index = 0; index < workers; index++) cluster.fork()
  const stop = (signal: NodeJS.Signals): void => {
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  return new Promise((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      if (!stopping && !listened.has(worker.id)) {
        log(`worker ${String(worker.process.pid)} failed to start (code ${code}, signal ${signal}); stopping`)
        failed = true
        stop('SIGTERM')
      } else if (!stopping) {
        log(`worker ${String(worker.process.pid)} exited (code ${code}, signal ${signal}); starting another`)
        cluster.fork()
        return
      }
      listened.delete(worker.id)
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(failed ? 1 : 0)
    })
  })
}

export { cluster }
