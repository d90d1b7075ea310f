// The route-policy table: every mode × roles × authentication outcome, with the answer each must get, written out
// as a plain rule (not by calling the policy module) so the tests compare the module against an independent oracle.
// Shared by the unit table (route-policy.test.ts) and the HTTP runs (route-policy-http.test.ts, the gateway's).
import type { DefaultRouteAuth, RouteAuthMode } from '../../src/route-policy/index.js'

export type ModeCase = RouteAuthMode | 'default'
export type RolesCase = 'absent' | readonly string[]
export type OutcomeCase = 'no token' | 'valid, matching role' | 'valid, no matching role' | 'invalid' | 'expired' | 'keys unavailable'

export const MODES: readonly ModeCase[] = ['none', 'optional', 'required', 'default']
export const DEFAULTS: readonly DefaultRouteAuth[] = ['none', 'required']
export const ROLES: readonly RolesCase[] = ['absent', [], ['a'], ['a', 'b']]
export const OUTCOMES: readonly OutcomeCase[] = ['no token', 'valid, matching role', 'valid, no matching role', 'invalid', 'expired', 'keys unavailable']

/** 'refused' (the route never registers), 'anonymous' (allowed, no user), 'user' (allowed with the claims), or the code. */
export type Answer = 'refused' | 'anonymous' | 'user' | 'AUTH_TOKEN_MISSING' | 'AUTH_TOKEN_INVALID' | 'AUTH_TOKEN_EXPIRED' | 'AUTH_FORBIDDEN' | 'AUTH_KEYS_UNAVAILABLE'

export const STATUS: Record<Answer, number> = {
  refused: 0, anonymous: 200, user: 200, AUTH_TOKEN_MISSING: 401, AUTH_TOKEN_INVALID: 401, AUTH_TOKEN_EXPIRED: 401, AUTH_FORBIDDEN: 403, AUTH_KEYS_UNAVAILABLE: 503
}

export function expectedAnswer (mode: ModeCase, defaultAuth: DefaultRouteAuth, roles: RolesCase, outcome: OutcomeCase): Answer {
  const named = roles !== 'absent'
  const required = named && roles.length > 0
  // `auth: 'none'` beside a role it would never check is a configuration error, not a public route.
  if (mode === 'none' && required) return 'refused'
  // Naming roles (even none) opts a route in; only a route that says nothing follows defaultAuth.
  const effective = mode === 'default' ? (named ? 'required' : defaultAuth) : mode
  if (effective === 'none') return 'anonymous'
  switch (outcome) {
    case 'no token': return effective === 'optional' && !required ? 'anonymous' : 'AUTH_TOKEN_MISSING'
    case 'valid, matching role': return 'user'
    case 'valid, no matching role': return required ? 'AUTH_FORBIDDEN' : 'user'
    case 'invalid': return 'AUTH_TOKEN_INVALID'
    case 'expired': return 'AUTH_TOKEN_EXPIRED'
    case 'keys unavailable': return 'AUTH_KEYS_UNAVAILABLE'
  }
}

/** The route `config` of a table row. */
export function routeConfig (mode: ModeCase, roles: RolesCase): { auth?: RouteAuthMode, roles?: string[] } {
  return { ...(mode === 'default' ? {} : { auth: mode }), ...(roles === 'absent' ? {} : { roles: [...roles] }) }
}

export function rowName (mode: ModeCase, defaultAuth: DefaultRouteAuth, roles: RolesCase, outcome?: OutcomeCase): string {
  const modeName = mode === 'default' ? `default (defaultAuth ${defaultAuth})` : mode
  return `${modeName}, roles ${roles === 'absent' ? 'absent' : JSON.stringify(roles)}${outcome === undefined ? '' : `, ${outcome}`}`
}
