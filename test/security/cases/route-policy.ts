// Section E additions from issue #12 item 2 ("one route policy"): a route is public only when its policy says so.
// A policy key authgate does not have (a future `scopes`, a typo) must stop the app from starting rather than
// leave the route open or its rule unenforced; `defaultAuth: 'required'` must deny a route that declares nothing.
import { STARTUP_REFUSED, type AttackCase, type CaseGroup, type Expectation } from '../lib/case.js'
import { namesAll, pluginAppOutcome, type PluginRoute } from '../lib/plugin-app.js'
import type { AttackTarget } from '../lib/target.js'

const REFUSED: Expectation = { status: STARTUP_REFUSED, upstream: 'n/a' }

function refusedRoute (name: string, route: PluginRoute, parts: readonly string[]): AttackCase {
  return {
    id: 'E.58',
    name,
    expect: REFUSED,
    attack: (target: AttackTarget) => pluginAppOutcome(target, target.key, [route]),
    check: (outcome) => { namesAll(outcome, parts) },
    also: `the error names ${parts.map((part) => `\`${part}\``).join(' and ')}`
  }
}

export const routePolicyCases: AttackCase[] = [
  refusedRoute('plugin route declaring only a rule authgate does not have (`config: { scopes: [read] }`): not a public route', { url: '/reports', config: { scopes: ['read'] } }, ['GET /reports', 'config.scopes']),
  refusedRoute('plugin route `config: { auth: required, scopes: [read] }`: the scope would go unchecked', { url: '/reports', config: { auth: 'required', scopes: ['read'] } }, ['GET /reports', 'config.scopes']),
  refusedRoute('plugin route, object form `config.auth: { mode: required, scopes: [read] }`', { url: '/reports', config: { auth: { mode: 'required', scopes: ['read'] } } }, ['GET /reports', 'config.auth.scopes']),
  refusedRoute('plugin route `config: { role: [admin] }` (a typo of `roles`)', { url: '/admin', config: { role: ['admin'] } }, ['GET /admin', 'config.role', 'did you mean roles?']),
  refusedRoute('plugin route `config: { Roles: [admin] }` (`roles` in another case)', { url: '/admin', config: { Roles: ['admin'] } }, ['GET /admin', 'config.Roles', 'did you mean roles?']),
  refusedRoute('plugin route `config: { rolse: [admin] }` (`roles`, two letters swapped)', { url: '/admin', config: { rolse: ['admin'] } }, ['GET /admin', 'config.rolse', 'did you mean roles?']),
  refusedRoute('plugin route `config: { Auth: required }` (`auth` in another case)', { url: '/admin', config: { Auth: 'required' } }, ['GET /admin', 'config.Auth', 'did you mean auth?']),
  refusedRoute('plugin route `config: { auth: requried }` (a typo of a mode)', { url: '/admin', config: { auth: 'requried' } }, ['GET /admin', 'config.auth']),
  refusedRoute('plugin route `config: { roles: admin }` (not a list)', { url: '/admin', config: { roles: 'admin' } }, ['GET /admin', 'config.roles']),
  refusedRoute('plugin route `config: { auth: none, roles: [admin] }`: a public route would ignore the role', { url: '/admin', config: { auth: 'none', roles: ['admin'] } }, ['GET /admin', 'config.auth', 'config.roles']),
  {
    id: 'E.58',
    name: 'gateway route `{ prefix: /reports, scopes: [read] }` (a key the route policy does not have)',
    expect: { status: STARTUP_REFUSED, upstream: 'untouched' },
    attack: async (target) => {
      try {
        await target.fresh({ config: { routes: [{ prefix: '/reports', upstream: target.upstream.url, scopes: ['read'] }] } })
      } catch (error) {
        return { status: STARTUP_REFUSED, code: undefined, headers: {}, body: error instanceof Error ? error.message : String(error) }
      }
      return target.request('/reports/x')
    },
    check: (outcome) => { namesAll(outcome, ['routes[0].scopes']) },
    also: 'the error names `routes[0].scopes`'
  },
  {
    id: 'E.58',
    name: 'plugin `defaultAuth: required`: a route that declares no policy, anonymous',
    expect: { status: 401, code: 'AUTH_TOKEN_MISSING', upstream: 'n/a' },
    attack: (target) => pluginAppOutcome(target, target.key, [{ url: '/unannotated' }], { defaultAuth: 'required' })
  },
  {
    id: 'E.58',
    name: 'plugin `defaultAuth: required`: a route that names only another plugin\'s key (`config: { rateLimit }`), anonymous',
    expect: { status: 401, code: 'AUTH_TOKEN_MISSING', upstream: 'n/a' },
    attack: (target) => pluginAppOutcome(target, target.key, [{ url: '/limited', config: { rateLimit: { max: 100 } } }], { defaultAuth: 'required' })
  }
]

export const group: CaseGroup = {
  section: 'E',
  title: 'Configuration: route policies',
  cases: routePolicyCases
}
