// The store wrapper of tracing (issue #16 item 3): methods run on the store itself, whatever their key.
import t from 'tap'
import { trace } from '@opentelemetry/api'
import { traceStore } from '../src/tracing/store-spans.js'

class PrivateStore {
  readonly #closed: string[] = []
  async close (): Promise<void> { this.#closed.push('close') }
  async [Symbol.asyncDispose] (): Promise<void> { this.#closed.push('dispose') }
  calls (): readonly string[] { return this.#closed }
}

t.test('string- and symbol-keyed methods run on the store, not on the proxy (its private fields stay reachable)', async (t) => {
  const store = new PrivateStore()
  const traced = traceStore(store, trace.getTracer('test'))
  await traced.close()
  await traced[Symbol.asyncDispose]()
  t.same(store.calls(), ['close', 'dispose'])
})
