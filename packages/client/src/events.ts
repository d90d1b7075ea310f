// A tiny typed event emitter (no dependency on Node's EventEmitter or the DOM's EventTarget, so it runs in both).
import type { AuthClientEventName, AuthClientEvents, AuthClientListener } from './types.js'

// Function-valued properties rather than methods: they use no `this`, so they can be passed around unbound.
export interface Emitter {
  readonly on: <E extends AuthClientEventName>(event: E, listener: AuthClientListener<E>) => () => void
  readonly off: <E extends AuthClientEventName>(event: E, listener: AuthClientListener<E>) => void
  readonly emit: <E extends AuthClientEventName>(event: E, payload: AuthClientEvents[E]) => void
}

export function createEmitter (): Emitter {
  const listeners = new Map<AuthClientEventName, Set<(payload: never) => void>>()

  const emitter: Emitter = {
    on (event, listener) {
      let set = listeners.get(event)
      if (set === undefined) listeners.set(event, set = new Set())
      set.add(listener)
      return () => { emitter.off(event, listener) }
    },
    off (event, listener) {
      listeners.get(event)?.delete(listener)
    },
    emit (event, payload) {
      const set = listeners.get(event)
      if (set === undefined) return
      for (const listener of [...set] as AuthClientListener<typeof event>[]) {
        // A throwing listener must not break the request that triggered the event, nor the other listeners.
        try { listener(payload) } catch (err) { console.error('@authgate/client: an event listener threw', err) }
      }
    }
  }
  return emitter
}
