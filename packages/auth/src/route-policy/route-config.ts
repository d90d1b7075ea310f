// authgate's namespace in a Fastify route's `config`: `auth` (a mode, or an object `{ mode, roles }`) and `roles`.
// The rest of `config` belongs to Fastify (`url`, `method`) and to other plugins (`rateLimit`…) and is left alone,
// except the names authgate reserves for rules (RESERVED_KEYS): refused until a rule of that name exists, so a route
// that names one is never silently public. Inside the object form every key is authgate's: unknown ones are refused.
import { ROUTE_RULE_KEYS, compileRoutePolicy, type DefaultRouteAuth, type RouteAuthMode, type RoutePolicy, type RoutePolicyInput, type RouteRules } from './compile.js'

/** The object form of `config.auth`: room for more rules without crowding the route's `config`. */
export interface RouteAuthConfig extends RouteRules {
  /** Default 'required': writing the object opts the route in. */
  mode?: RouteAuthMode
}

/** Names at the top of `config` (in any case) that authgate keeps for itself, with the key to use instead. */
// A Map, not an object: a key such as `constructor` must not find Object.prototype's members.
const RESERVED_KEYS: ReadonlyMap<string, string> = new Map([
  ['role', 'roles'],
  ['scope', 'no scope rule exists yet'],
  ['scopes', 'no scope rule exists yet'],
  ['claims', 'no claims rule exists yet']
])
const OBJECT_KEYS: readonly string[] = ['mode', ...ROUTE_RULE_KEYS]

/** Edit distance counting a swap of two neighbours as one edit (`rolse` is one edit from `roles`). */
function distance (a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0))
  const at = (i: number, j: number): number => rows[i]?.[j] ?? 0
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? []
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      row[j] = best
    }
  }
  return at(a.length, b.length)
}

function suggestion (key: string, known: readonly string[]): string {
  const near = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase() || distance(candidate, key.toLowerCase()) <= 2)
  return near === undefined ? `(known: ${known.join(', ')})` : `(did you mean ${near}?)`
}

/**
 * Why a key at the top of a route's `config` is refused, or undefined when it is not authgate's to judge. Other
 * plugins own the rest of `config`, so only near misses of authgate's own names are refused: those would leave the
 * route public. Any case of `auth`, `roles` and the reserved names; one edit from `roles` (`rolse`, `role`), but
 * not from `auth` (`oauth` is another plugin's word).
 */
function refusedTopKey (key: string): string | undefined {
  if (key === 'auth' || ROUTE_RULE_KEYS.includes(key)) return undefined
  const lower = key.toLowerCase()
  const reserved = RESERVED_KEYS.get(lower)
  if (reserved !== undefined) return reserved === 'roles' ? 'did you mean roles?' : `${reserved}: the route would not enforce it`
  const own = ['auth', ...ROUTE_RULE_KEYS].find((name) => name === lower)
  if (own !== undefined) return `did you mean ${own}?`
  const rule = ROUTE_RULE_KEYS.find((name) => distance(name, lower) === 1)
  return rule === undefined ? undefined : `did you mean ${rule}?`
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value) as unknown
  return prototype === Object.prototype || prototype === null
}

export interface RouteConfigPolicy {
  input: RoutePolicyInput
  /** Where each key was written (`config.auth.roles`), for compileRoutePolicy's messages. */
  pathOf: (key: keyof RoutePolicyInput) => string
}

/**
 * The policy a route's `config` declares, checked for shape (values are checked by compileRoutePolicy). `where`
 * names the route in errors (`route GET /admin: `). Throws on a reserved key, on an unknown key of the object form,
 * and on a rule given both inside `auth` and beside it.
 */
export function readRouteConfig (config: unknown, where = ''): RouteConfigPolicy {
  // Keys written inside the object form `config.auth: { … }`: their errors name that path.
  const inObject = new Set<keyof RoutePolicyInput>()
  const pathOf = (key: keyof RoutePolicyInput): string => key === 'auth'
    ? `config.auth${inObject.has('auth') ? '.mode' : ''}`
    : `config.${inObject.has(key) ? 'auth.' : ''}${key}`
  if (config === undefined || config === null) return { input: {}, pathOf }
  if (typeof config !== 'object') throw new Error(`${where}config must be an object`)
  const top = config as Record<string, unknown>
  for (const key of Object.keys(top)) {
    if (top[key] === undefined) continue
    const why = refusedTopKey(key)
    if (why !== undefined) throw new Error(`${where}config.${key} is not an authgate route rule (${why}); authgate reads config.auth and config.roles`)
  }
  const input: RoutePolicyInput = {}
  for (const key of ROUTE_RULE_KEYS as (keyof RouteRules)[]) {
    if (top[key] !== undefined) input[key] = top[key] as RouteRules[typeof key]
  }
  const auth = top.auth
  if (auth === undefined) return { input, pathOf }
  if (typeof auth !== 'object' || auth === null) return { input: { ...input, auth: auth as RouteAuthMode }, pathOf }
  if (!isPlainObject(auth)) throw new Error(`${where}config.auth must be 'required', 'optional', 'none' or an object { ${OBJECT_KEYS.join(', ')} }`)
  input.auth = 'required'
  for (const [key, value] of Object.entries(auth)) {
    if (!OBJECT_KEYS.includes(key)) throw new Error(`${where}config.auth.${key} is not a route policy key ${suggestion(key, OBJECT_KEYS)}`)
    if (value === undefined) continue
    if (key === 'mode') {
      input.auth = value as RouteAuthMode
      inObject.add('auth')
      continue
    }
    const rule = key as keyof RouteRules
    if (input[rule] !== undefined) throw new Error(`${where}config.${rule} and config.auth.${rule} are both given: give it once`)
    input[rule] = value as RouteRules[typeof rule]
    inObject.add(rule)
  }
  return { input, pathOf }
}

/** readRouteConfig then compileRoutePolicy: a route's `config` to its policy, every error naming the route and key. */
export function compileRouteConfig (config: unknown, options: { defaultAuth?: DefaultRouteAuth, where?: string } = {}): RoutePolicy {
  const { input, pathOf } = readRouteConfig(config, options.where)
  return compileRoutePolicy(input, { pathOf, where: options.where ?? '', ...(options.defaultAuth === undefined ? {} : { defaultAuth: options.defaultAuth }) })
}
