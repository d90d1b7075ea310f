// Route policies in a Fastify app. A route's policy is checked when the route is registered (the plugin's onRoute
// hook), so a bad or unknown key fails that registration with the route named, and compiled for good in onReady:
// onRoute hooks added after authgate's (an app setting `config.roles` on every `/admin` route) still change the
// route's options after ours has run, and a policy compiled before them would silently ignore their rules. The
// compiled policy is kept on the route's `config` under a symbol, so a request finds it without a lookup.
import type { FastifyBaseLogger, FastifyInstance, onRouteHookHandler, RouteOptions } from 'fastify'
import { compileRouteConfig } from './route-config.js'
import type { DefaultRouteAuth, RoutePolicy } from './compile.js'

const HOLDER = Symbol('authgate.routePolicy')

export interface CompiledRoute {
  /** What the plugin's onRequest hook enforces: the route's policy, `defaultAuth` for a route that declares none. */
  hook: RoutePolicy
  /** What `app.authenticate` enforces: the same, except that a route declaring no policy requires a token. */
  guard: RoutePolicy
}

/**
 * Shared by reference between the route's options and every copy Fastify makes of its `config` (the route's
 * context spreads it), so compiling into it in onReady reaches the config requests see.
 */
interface PolicyHolder {
  readonly opts: RouteOptions
  compiled?: CompiledRoute
}

type WithHolder = Record<typeof HOLDER, PolicyHolder | undefined>

function compileRoute (config: unknown, defaultAuth: DefaultRouteAuth, where: string): CompiledRoute {
  const hook = compileRouteConfig(config, { defaultAuth, where })
  return { hook, guard: defaultAuth === 'required' ? hook : compileRouteConfig(config, { defaultAuth: 'required', where }) }
}

function routeName (method: string | readonly string[], url: string | undefined): string {
  return `route ${typeof method === 'string' ? method : method.join(',')} ${url ?? '(unknown)'}: `
}

/**
 * Installs the two hooks: onRoute checks each route's policy as written so far (throwing names the route and the
 * key) and leaves a holder on its config; onReady compiles every holder from the route's final options, so a rule
 * a later onRoute hook added is enforced, and a bad one fails `ready()`, naming the route.
 */
export function installRoutePolicyHooks (app: FastifyInstance, defaultAuth: DefaultRouteAuth): void {
  let pending: PolicyHolder[] = []
  const onRoute: onRouteHookHandler = function checkRoutePolicyOnRoute (route) {
    compileRoute(route.config, defaultAuth, routeName(route.method, route.url))
    const holder: PolicyHolder = { opts: route }
    // A new object: an application may share one config object between routes (and with other plugins).
    route.config = Object.assign({}, route.config, { [HOLDER]: holder })
    pending.push(holder)
  }
  app.addHook('onRoute', onRoute)
  app.addHook('onReady', function compileRoutePoliciesOnReady (done) {
    const holders = pending
    pending = []
    try {
      for (const holder of holders) holder.compiled = compileRoute(holder.opts.config, defaultAuth, routeName(holder.opts.method, holder.opts.url))
    } catch (error) {
      done(error as Error)
      return
    }
    done()
  })
}

export type RoutePolicyLookup = (config: object, url: string | undefined, log: FastifyBaseLogger) => CompiledRoute

/**
 * The compiled policy of a route, from its `config` at request time. Routes onReady never compiled (declared
 * before the plugin loaded: `app.register(authgate)` not awaited, or createAuthPreHandler used on its own) are
 * compiled on their first request from the config the request sees; an invalid one then refuses every request with
 * a 500 and an error in the log, never lets it through.
 */
export function createRoutePolicyLookup (defaultAuth: DefaultRouteAuth): RoutePolicyLookup {
  const late = new WeakMap<object, CompiledRoute | Error>()
  return (config, url, log) => {
    const compiled = (config as Partial<WithHolder>)[HOLDER]?.compiled
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
