// One span per SessionStore call made while a request is traced, for every method the store has (a Proxy: no list
// of methods to keep in step with the interface, optional capabilities such as revokeSubject stay as they are).
// Background work (the revocation poll, the key ring) has no request span around it and gets none: a root span
// every few seconds would bury the requests.
import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api'

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

export function traceStore<T extends object> (store: T, tracer: Tracer): T {
  const wrappers = new Map<string, (...args: unknown[]) => unknown>()
  return new Proxy(store, {
    get (target, property) {
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function' || property === 'constructor') return value
      // Symbol-keyed methods (Symbol.asyncDispose…) are no store calls, but must still run on the store itself.
      if (typeof property !== 'string') return (value as (...args: unknown[]) => unknown).bind(target)
      let wrapper = wrappers.get(property)
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown
        const name = `store.${property}`
        wrapper = function tracedStoreCall (...args: unknown[]): unknown {
          const parent = context.active()
          // Called on the store itself, not the proxy: its private fields and internal calls stay as they were.
          if (trace.getSpan(parent) === undefined) return method.apply(target, args)
          const startTime = performance.timeOrigin + performance.now()
          const result = method.apply(target, args)
          // Only asynchronous calls (the database round trips) get a span; a synchronous accessor is not a store call.
          if (!isThenable(result)) return result
          const span = tracer.startSpan(name, { startTime, attributes: { 'db.operation.name': property } }, parent)
          return Promise.resolve(result).then((outcome) => {
            span.end()
            return outcome
          }, (error: unknown) => {
            // The code only: a store error's message may quote what it was given.
            span.setStatus({ code: SpanStatusCode.ERROR })
            span.end()
            throw error
          })
        }
        wrappers.set(property, wrapper)
      }
      return wrapper
    }
  })
}
