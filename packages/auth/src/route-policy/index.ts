// The route policy: one compiled decision per route, asked by every front door (see compile.ts).
export {
  compileRoutePolicy, checkRoles, normaliseDefaultAuth, isRouteAuthMode, ROUTE_POLICY_KEYS, ROUTE_RULE_KEYS,
  type RoutePolicy, type RoutePolicyInput, type RouteRules, type RouteAuthMode, type DefaultRouteAuth, type Admission,
  type CompileOptions
} from './compile.js'
export { readRouteConfig, compileRouteConfig, type RouteAuthConfig, type RouteConfigPolicy } from './route-config.js'
export { installRoutePolicyHooks, createRoutePolicyLookup, type CompiledRoute, type RoutePolicyLookup } from './fastify-routes.js'
