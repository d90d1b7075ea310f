// Each request's logger, created only when the request writes a line (issue #18, docs/profiling.md). Fastify gives
// every request a pino child bound to its `reqId`; making one (copying the logger, serialising the binding) cost
// ≈ 2 µs per request, spent for nothing on every request that writes no line: all of them at `warn` and above when
// nothing fails, or with `log.access: false` (app.ts installs it only then). The child is made on the first call at
// an enabled level, from the parent, bindings and options Fastify passes, so every line is the one Fastify's own
// child would have written.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>
type Bindings = Parameters<ChildLoggerFactory>[1]
type ChildLoggerOptions = Parameters<ChildLoggerFactory>[2]

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

/** pino's level test; a logger without one is asked to write every line (it filters itself). */
function enabled (logger: FastifyBaseLogger, level: Level): boolean {
  return (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.(level) ?? true
}

class DeferredChildLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger
  readonly #bindings: Bindings
  readonly #options: ChildLoggerOptions
  #child: FastifyBaseLogger | undefined

  constructor (parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
    // A route's own level decides which lines are written, and the parent's test would not know it: made at once.
    if (options.level !== undefined) this.#logger()
  }

  #logger (): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options)
    return this.#child
  }

  #write (level: Level, args: unknown[]): void {
    const logger = this.#child ?? (enabled(this.#parent, level) ? this.#logger() : undefined)
    if (logger !== undefined) Reflect.apply(logger[level], logger, args)
  }

  get level (): FastifyBaseLogger['level'] { return (this.#child ?? this.#parent).level }
  set level (level: FastifyBaseLogger['level']) { this.#logger().level = level }

  trace (...args: unknown[]): void { this.#write('trace', args) }
  debug (...args: unknown[]): void { this.#write('debug', args) }
  info (...args: unknown[]): void { this.#write('info', args) }
  warn (...args: unknown[]): void { this.#write('warn', args) }
  error (...args: unknown[]): void { this.#write('error', args) }
  fatal (...args: unknown[]): void { this.#write('fatal', args) }
  silent (): void { /* writes nothing, as pino's */ }

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory`: a request logger that becomes pino's child on its first written line. */
export const deferredChildLogger: ChildLoggerFactory = (logger, bindings, options) => new DeferredChildLogger(logger, bindings, options)
