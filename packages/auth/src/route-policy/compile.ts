// A route's access policy, compiled once (at route registration, or at gateway start-up) into the one decision
// every front door asks: the plugin's onRequest hook, `app.authenticate`, the gateway's auth hook and its
// forward-auth endpoint. No other module decides who may pass, so they can never disagree.
//
// A rule is one entry of RULES: its key, how its value is checked, the test it puts on verified claims, and how it
// compares with the same rule of another route (for the gateway's prefix-spelling check: is one route's policy at
// least as lenient as another's). A later rule (scopes, claims) is one more entry; anonymous callers satisfy no
// rule, and `auth: 'none'` with a rule is refused, so adding one can never leave a route open by accident.
import { AuthError } from '../errors.js'
import { isRoleName } from '../tokens/claims.js'
import type { AccessClaims, VerifyOutcome } from '../tokens/types.js'

/** A route's `config.auth`: 'required' (a valid token), 'optional' (a token is checked when present), 'none' (public). */
export type RouteAuthMode = 'required' | 'optional' | 'none'
/** What a route without its own `auth` gets (plugin option `defaultAuth`). */
export type DefaultRouteAuth = 'none' | 'required'

/** The rules a route may add to its mode. Each is checked on the verified claims; an anonymous caller meets none. */
export interface RouteRules {
  /** The user must hold at least one of these roles (any-of), else 403 AUTH_FORBIDDEN. An empty list asks for none. */
  roles?: readonly string[]
}

/** A route's policy as written: a mode and its rules. Values are checked at run time (they may come from YAML). */
export interface RoutePolicyInput extends RouteRules {
  /** Absent: 'required' when a rule is named, else `defaultAuth`. */
  auth?: RouteAuthMode
}

/** What `admit` answers: the verified claims (allowed), null (allowed, anonymous) or the refusal to send. */
export type Admission = AccessClaims | null | AuthError

export interface RoutePolicy {
  readonly mode: RouteAuthMode
  /** True when the route never authenticates (`auth: 'none'`): callers may skip verifying altogether. */
  readonly isPublic: boolean
  readonly roles: readonly string[]
  /** Synchronous, allocation-free: the refusals it returns are shared instances. */
  admit: (outcome: VerifyOutcome) => Admission
  /**
   * Whether this policy lets through every request `other` lets through (so reaching this route instead of
   * `other` gains a caller nothing). False for a policy compileRoutePolicy did not make: it cannot be compared.
   */
  admitsAllOf: (other: RoutePolicy) => boolean
}

export interface CompileOptions {
  /** Default 'none' (as before the option existed). */
  defaultAuth?: DefaultRouteAuth
  /** Starts every error message, naming the route (e.g. `route GET /admin: `). */
  where?: string
  /** Names a key in error messages (e.g. `config.auth.roles`). Default: the key itself. */
  pathOf?: (key: keyof RoutePolicyInput) => string
}

type ClaimsCheck = (claims: AccessClaims) => AuthError | undefined

/** One rule of one route, compiled. */
interface CompiledRule {
  check: ClaimsCheck
  /** Whether every claims set that the same rule of another route (`other`, undefined: that route has none) passes, passes this one. */
  covers: (other: CompiledRule | undefined) => boolean
}

interface RuleSpec {
  /** Checks the written value (`path` names it in errors); undefined when it asks for nothing. */
  compile: (value: unknown, path: string) => CompiledRule | undefined
}

interface RoleRule extends CompiledRule {
  readonly roles: readonly string[]
}

const FORBIDDEN = new AuthError('AUTH_FORBIDDEN')
const MODES: readonly RouteAuthMode[] = ['required', 'optional', 'none']

/** A written value, for an error message: strings quoted (at most 40 characters of them), anything else by type. */
function shown (value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value
}

/** Whether the user has at least one of `roles` (any-of). An empty list requires no role. */
export function checkRoles (claims: Pick<AccessClaims, 'roles'>, roles: readonly string[]): boolean {
  if (roles.length === 0) return true
  for (const role of roles) if (claims.roles.includes(role)) return true
  return false
}

const RULES: { readonly [K in keyof Required<RouteRules>]: RuleSpec } = {
  roles: {
    compile: (value, path) => {
      // No cap on the count (a token's is 100): a route listing more roles than a token may carry asks nothing unsafe.
      if (!Array.isArray(value)) throw new Error(`${path} must be a list of role names`)
      const list: readonly unknown[] = value
      const bad = list.findIndex((role) => !isRoleName(role))
      if (bad !== -1) throw new Error(`${path}[${bad}] must be a role name (1 to 128 characters without commas or control characters)`)
      if (list.length === 0) return undefined
      const roles: readonly string[] = Object.freeze((list as readonly string[]).slice())
      const rule: RoleRule = {
        roles,
        check: (claims) => checkRoles(claims, roles) ? undefined : FORBIDDEN,
        // Any-of: every user `other` admits holds one of its roles, so each of them must be one of ours.
        covers: (other) => other !== undefined && 'roles' in other && (other as RoleRule).roles.every((role) => roles.includes(role))
      }
      return rule
    }
  }
}

/** What admitsAllOf compares, kept off the public object. */
interface PolicyParts {
  anonymousPasses: boolean
  rules: ReadonlyMap<string, CompiledRule>
}
const PARTS = new WeakMap<RoutePolicy, PolicyParts>()

/** The keys a route policy may hold: the mode and every rule. */
export const ROUTE_POLICY_KEYS: readonly string[] = Object.freeze(['auth', ...Object.keys(RULES)])
export const ROUTE_RULE_KEYS: readonly string[] = Object.freeze(Object.keys(RULES))

export function isRouteAuthMode (value: unknown): value is RouteAuthMode {
  return (MODES as readonly unknown[]).includes(value)
}

/** The plugin option `defaultAuth`, checked (it may come from YAML): 'none' when absent. */
export function normaliseDefaultAuth (value: unknown, path = 'defaultAuth'): DefaultRouteAuth {
  if (value === undefined) return 'none'
  if (value === 'none' || value === 'required') return value
  throw new Error(`${path} must be 'none' or 'required' (got ${shown(value)})`)
}

export function compileRoutePolicy (input: RoutePolicyInput, options: CompileOptions = {}): RoutePolicy {
  const where = options.where ?? ''
  const pathOf = options.pathOf ?? ((key) => key)
  const rules = new Map<string, CompiledRule>()
  let named = false
  for (const key of ROUTE_RULE_KEYS as (keyof RouteRules)[]) {
    const value: unknown = input[key]
    if (value === undefined) continue
    named = true
    const rule = RULES[key].compile(value, `${where}${pathOf(key)}`)
    if (rule !== undefined) rules.set(key, rule)
  }
  const checks: ClaimsCheck[] = [...rules.values()].map((rule) => rule.check)
  const written: unknown = input.auth
  if (written !== undefined && !isRouteAuthMode(written)) {
    throw new Error(`${where}${pathOf('auth')} must be one of ${MODES.map((mode) => `'${mode}'`).join(', ')} (got ${shown(written)})`)
  }
  const defaultAuth = normaliseDefaultAuth(options.defaultAuth)
  // Naming a rule opts the route in, whatever the default: a rule nobody checks would be a silent hole.
  const mode: RouteAuthMode = written ?? (named ? 'required' : defaultAuth)
  if (mode === 'none' && checks.length > 0) {
    throw new Error(`${where}${pathOf('auth')} is 'none' but the route names ${ROUTE_RULE_KEYS.filter((key) => input[key as keyof RouteRules] !== undefined).map((key) => pathOf(key as keyof RouteRules)).join(', ')}: a public route would ignore them (use 'required')`)
  }
  const roles = input.roles === undefined ? [] : Object.freeze([...input.roles])
  // 'optional' lets a caller without credentials through as anonymous, unless a rule asks for something: an
  // anonymous caller meets none. Bad credentials are refused even then, so a client knows to refresh.
  const anonymousPasses = mode === 'optional' && checks.length === 0
  const admit = (outcome: VerifyOutcome): Admission => {
    if (mode === 'none') return null
    if (!outcome.ok) return anonymousPasses && outcome.error.code === 'AUTH_TOKEN_MISSING' ? null : outcome.error
    for (const check of checks) {
      const refusal = check(outcome.claims)
      if (refusal !== undefined) return refusal
    }
    return outcome.claims
  }
  const admitsAllOf = (other: RoutePolicy): boolean => {
    if (mode === 'none') return true
    const theirs = PARTS.get(other)
    // `none` lets through bad tokens that every other mode refuses.
    if (theirs === undefined || other.mode === 'none') return false
    if (theirs.anonymousPasses && !anonymousPasses) return false
    for (const [key, rule] of rules) if (!rule.covers(theirs.rules.get(key))) return false
    return true
  }
  const policy: RoutePolicy = Object.freeze({ mode, isPublic: mode === 'none', roles, admit, admitsAllOf })
  PARTS.set(policy, { anonymousPasses, rules })
  return policy
}
