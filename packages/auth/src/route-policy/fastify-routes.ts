// Route policies in a Fastify app: compiled when a route is registered (the plugin's onRoute hook), so a bad or
// unknown key fails that registration and `ready()` with the route named, and kept on the route's `config` under a
// symbol, so a request finds its policy without a lookup.
import type { FastifyBaseLogger, onRouteHookHandler } from 'fastify'
import { compileRouteConfig } from './route-config.js'
import type { DefaultRouteAuth, RoutePolicy } from './compile.js'

const COMPILED = Symbol('authgate.routePolicy')

export interface CompiledRoute {
  /** What the plugin's onRequest hook enforces: the route's policy, `defaultAuth` for a route that declares none. */
  hook: RoutePolicy
  /** What `app.authenticate` enforces: the same, except that a route declaring no policy requires a token. */
  guard: RoutePolicy
}

type WithCompiled = Record<typeof COMPILED, CompiledRoute | undefined>

function compileRoute (config: unknown, defaultAuth: DefaultRouteAuth, where: string): CompiledRoute {
  const hook = compileRouteConfig(config, { defaultAuth, where })
  return { hook, guard: defaultAuth === 'required' ? hook : compileRouteConfig(config, { defaultAuth: 'required', where }) }
}

function routeName (method: string | readonly string[], url: string | undefined): string {
  return `route ${typeof method === 'string' ? method : method.join(',')} ${url ?? '(unknown)'}: `
}

/** The onRoute hook: compiles the route's policy, or throws naming the route and the key. */
export function createRoutePolicyHook (defaultAuth: DefaultRouteAuth): onRouteHookHandler {
  return function compileRoutePolicyOnRoute (route) {
    const compiled = compileRoute(route.config, defaultAuth, routeName(route.method, route.url))
    // A new object: an application may share one config object between routes (and with other plugins).
    route.config = Object.assign({}, route.config, { [COMPILED]: compiled })
  }
}

export type RoutePolicyLookup = (config: object, url: string | undefined, log: FastifyBaseLogger) => CompiledRoute

/**
 * The compiled policy of a route, from its `config` at request time. Routes the onRoute hook never saw (declared
 * before the plugin loaded: `app.register(authgate)` not awaited, or createAuthPreHandler used on its own) are
 * compiled on their first request; an invalid one then refuses every request with a 500 and an error in the log,
 * never lets it through.
 */
export function createRoutePolicyLookup (defaultAuth: DefaultRouteAuth): RoutePolicyLookup {
  const late = new WeakMap<object, CompiledRoute | Error>()
  return (config, url, log) => {
    const compiled = (config as Partial<WithCompiled>)[COMPILED]
    if (compiled !== undefined) return compiled
    let found = late.get(config)
    if (found === undefined) {
      try {
        found = compileRoute(config, defaultAuth, routeName((config as { method?: string }).method ?? '', url))
      } catch (error) {
        log.error({ err: error, event: 'route_policy_invalid' }, 'authgate: invalid route policy; every request to the route is refused')
        found = Object.assign(new Error('This route\'s access policy is invalid'), { statusCode: 500 })
      }
      late.set(config, found)
    }
    if (found instanceof Error) throw found
    return found
  }
}
