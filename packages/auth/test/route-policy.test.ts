// Issue #12 item 2: the route policy, compiled once, is the one decision. Table: mode (none, optional, required,
// default under defaultAuth none|required) × roles (absent, [], [a], [a,b]) × outcome (no token, valid with a
// matching role, valid without, invalid, expired, keys unavailable), against the compiled policy; the outcomes come
// from real verification (a real token service and authenticator), the expected answers from helpers/policy-table.ts.
import t from 'tap'
import { createAuthenticator } from '../src/http/authenticate.js'
import { AuthError } from '../src/errors.js'
import { compileRoutePolicy, compileRouteConfig, type RoutePolicy } from '../src/route-policy/index.js'
import type { VerifyOutcome } from '../src/tokens/index.js'
import { generateKey } from '../src/keys/index.js'
import { goodClaims, incompleteService, nowSeconds, service, signedWith, testKey } from './helpers/keys.js'
import { DEFAULTS, MODES, OUTCOMES, ROLES, expectedAnswer, routeConfig, rowName, type Answer, type OutcomeCase } from './helpers/policy-table.js'

const tokens = service('EdDSA')
const authenticator = createAuthenticator({ tokens })
const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` })
const now = nowSeconds()
// A key set that may be incomplete (a key ring): a token naming a kid it lacks is an outage, 503.
const partial = createAuthenticator({ tokens: incompleteService('EdDSA') })
const foreignKey = generateKey('EdDSA', 'test-eddsa-unknown')

const OUTCOME: Record<OutcomeCase, () => VerifyOutcome> = {
  'no token': () => authenticator.authenticate({}),
  'valid, matching role': () => authenticator.authenticate(bearer(tokens.sign({ sub: 'u1', sid: 's1', roles: ['a'] }).token)),
  'valid, no matching role': () => authenticator.authenticate(bearer(tokens.sign({ sub: 'u1', sid: 's1', roles: ['other'] }).token)),
  invalid: () => authenticator.authenticate(bearer('x.y.z')),
  expired: () => authenticator.authenticate(bearer(signedWith(testKey('EdDSA'), goodClaims({ roles: ['a'], iat: now - 4000, exp: now - 3000 })))),
  'keys unavailable': () => partial.authenticate(bearer(signedWith(foreignKey, goodClaims({ roles: ['a'] }))))
}

function answerOf (policy: RoutePolicy, outcome: VerifyOutcome): Answer {
  const decision = policy.admit(outcome)
  if (decision === null) return 'anonymous'
  if (decision instanceof AuthError) return decision.code as Answer
  return decision.sub === 'u1' ? 'user' : 'refused'
}

t.test('the outcomes are the real verifier\'s', async (t) => {
  for (const outcome of OUTCOMES) {
    const result = OUTCOME[outcome]()
    t.equal(result.ok ? 'ok' : result.error.code, {
      'no token': 'AUTH_TOKEN_MISSING',
      'valid, matching role': 'ok',
      'valid, no matching role': 'ok',
      invalid: 'AUTH_TOKEN_INVALID',
      expired: 'AUTH_TOKEN_EXPIRED',
      'keys unavailable': 'AUTH_KEYS_UNAVAILABLE'
    }[outcome], outcome)
  }
})

t.test('mode × roles × outcome against the compiled policy', async (t) => {
  let rows = 0
  for (const defaultAuth of DEFAULTS) {
    for (const mode of MODES) {
      for (const roles of ROLES) {
        const config = routeConfig(mode, roles)
        if (expectedAnswer(mode, defaultAuth, roles, 'no token') === 'refused') {
          t.throws(() => compileRoutePolicy(config, { defaultAuth }), /auth is 'none' but the route names roles/, rowName(mode, defaultAuth, roles))
          rows++
          continue
        }
        const policy = compileRoutePolicy(config, { defaultAuth })
        const publicRoute = expectedAnswer(mode, defaultAuth, roles, 'invalid') === 'anonymous'
        t.equal(policy.isPublic, publicRoute, `${rowName(mode, defaultAuth, roles)}: isPublic ${publicRoute}`)
        for (const outcome of OUTCOMES) {
          t.equal(answerOf(policy, OUTCOME[outcome]()), expectedAnswer(mode, defaultAuth, roles, outcome), rowName(mode, defaultAuth, roles, outcome))
          rows++
        }
      }
    }
  }
  t.ok(rows >= 150, `${rows} rows`)
})

t.test('refusals are shared and carry their status: 401, 403, 503', async (t) => {
  const policy = compileRoutePolicy({ auth: 'required', roles: ['a'] })
  const first = policy.admit(OUTCOME['valid, no matching role']())
  const second = policy.admit(OUTCOME['valid, no matching role']())
  t.ok(first instanceof AuthError && first.statusCode === 403 && first === second, 'one 403 instance for the route')
  const keys = policy.admit(OUTCOME['keys unavailable']())
  t.ok(keys instanceof AuthError && keys.statusCode === 503, 'keys unavailable stays 503, never 401')
})

t.test('bad values are refused, naming the key', async (t) => {
  t.throws(() => compileRoutePolicy({ auth: 'requried' as never }), /^auth must be one of 'required', 'optional', 'none' \(got "requried"\)/)
  t.throws(() => compileRoutePolicy({ roles: 'admin' as never }), /^roles must be a list of role names/)
  t.throws(() => compileRoutePolicy({ roles: [1] as never }), /^roles\[0\] must be a role name/)
  t.throws(() => compileRoutePolicy({ roles: ['a', 'a,b'] }), /^roles\[1\] must be a role name/, 'commas would split a forwarded roles header')
  t.throws(() => compileRoutePolicy({}, { defaultAuth: 'optional' as never }), /defaultAuth must be 'none' or 'required'/)
  t.throws(() => compileRoutePolicy({ auth: 'none', roles: ['a'] }, { where: 'routes[3]: ' }), /^routes\[3\]: auth is 'none' but the route names roles/)
  t.equal(compileRoutePolicy({ auth: 'none', roles: [] }).isPublic, true, 'an empty roles list asks for nothing: none stays possible')
})

t.test('a route\'s config: authgate\'s namespace is auth and roles; unknown keys there are refused', async (t) => {
  const where = 'route GET /x: '
  const refused: [unknown, RegExp, string][] = [
    [{ scopes: ['read'] }, /^route GET \/x: config\.scopes is not an authgate route rule \(no scope rule exists yet: the route would not enforce it\)/, 'a future rule alone must not leave the route public'],
    [{ auth: 'required', scopes: ['read'] }, /config\.scopes is not an authgate route rule/, 'nor be ignored beside a mode'],
    [{ claims: { tenant: 'a' } }, /config\.claims is not an authgate route rule/, 'claims'],
    [{ scope: 'read' }, /config\.scope is not an authgate route rule/, 'scope'],
    [{ role: ['admin'] }, /config\.role is not an authgate route rule \(did you mean roles\?\)/, 'a typo of roles'],
    [{ Roles: ['admin'] }, /^route GET \/x: config\.Roles is not an authgate route rule \(did you mean roles\?\)/, 'roles in another case'],
    [{ ROLES: ['admin'] }, /config\.ROLES is not an authgate route rule \(did you mean roles\?\)/, 'roles in capitals'],
    [{ rolse: ['admin'] }, /config\.rolse is not an authgate route rule \(did you mean roles\?\)/, 'roles, two letters swapped'],
    [{ rols: ['admin'] }, /config\.rols is not an authgate route rule \(did you mean roles\?\)/, 'roles, a letter missing'],
    [{ roless: ['admin'] }, /config\.roless is not an authgate route rule \(did you mean roles\?\)/, 'roles, a letter too many'],
    [{ Role: ['admin'] }, /config\.Role is not an authgate route rule \(did you mean roles\?\)/, 'role in another case'],
    [{ Auth: 'required' }, /^route GET \/x: config\.Auth is not an authgate route rule \(did you mean auth\?\)/, 'auth in another case'],
    [{ AUTH: 'required' }, /config\.AUTH is not an authgate route rule \(did you mean auth\?\)/, 'auth in capitals'],
    [{ Scopes: ['read'] }, /config\.Scopes is not an authgate route rule \(no scope rule exists yet/, 'scopes in another case'],
    [{ CLAIMS: { tenant: 'a' } }, /config\.CLAIMS is not an authgate route rule \(no claims rule exists yet/, 'claims in capitals'],
    [{ auth: 'requried' }, /^route GET \/x: config\.auth must be one of 'required', 'optional', 'none' \(got "requried"\)/, 'a typo of a mode'],
    [{ auth: 5 }, /config\.auth must be one of/, 'a number'],
    [{ auth: true }, /config\.auth must be one of/, 'a boolean'],
    [{ auth: ['required'] }, /config\.auth must be 'required', 'optional', 'none' or an object \{ mode, roles \}/, 'a list'],
    [{ roles: 'admin' }, /^route GET \/x: config\.roles must be a list of role names/, 'roles as a string'],
    [{ roles: [1] }, /config\.roles\[0\] must be a role name/, 'roles of numbers'],
    [{ auth: 'none', roles: ['admin'] }, /config\.auth is 'none' but the route names config\.roles/, 'roles a public route would ignore'],
    [{ auth: { mode: 'required', scopes: ['read'] } }, /^route GET \/x: config\.auth\.scopes is not a route policy key \(known: mode, roles\)/, 'object form: a future rule'],
    [{ auth: { roel: ['admin'] } }, /config\.auth\.roel is not a route policy key \(did you mean roles\?\)/, 'object form: a typo'],
    [{ auth: { Mode: 'none' } }, /config\.auth\.Mode is not a route policy key \(did you mean mode\?\)/, 'object form: case'],
    [{ auth: { mode: 'requried' } }, /config\.auth\.mode must be one of/, 'object form: a bad mode'],
    [{ auth: { roles: 'admin' } }, /config\.auth\.roles must be a list/, 'object form: bad roles'],
    [{ auth: { mode: 'none', roles: ['a'] } }, /config\.auth\.mode is 'none' but the route names config\.auth\.roles/, 'object form: none with roles'],
    [{ roles: ['a'], auth: { roles: ['b'] } }, /config\.roles and config\.auth\.roles are both given/, 'one rule in two places'],
    [{ auth: Object.assign(Object.create({ inherited: true }) as object, { mode: 'required' }) }, /config\.auth must be/, 'not a plain object'],
    ['required', /config must be an object/, 'config itself not an object']
  ]
  for (const [config, message, name] of refused) t.throws(() => compileRouteConfig(config, { where }), message, name)

  const mode = (config: unknown, defaultAuth: 'none' | 'required' = 'none'): string => compileRouteConfig(config, { defaultAuth }).mode
  t.equal(mode({ rateLimit: { max: 3 }, url: '/x', method: 'GET', other: 1 }), 'none', 'other plugins\' keys are theirs: left alone')
  t.equal(mode({ oauth: { provider: 'x' }, author: 'a', rules: undefined, constructor: 1, toString: 2 }), 'none', 'words near auth (oauth, author) are not taken for it; nor Object.prototype names')
  t.equal(mode({ rateLimit: { max: 3 } }, 'required'), 'required', '… and do not change the default')
  t.equal(mode(undefined), 'none')
  t.equal(mode({ auth: {} }), 'required', 'the object form opts the route in')
  t.equal(mode({ auth: { roles: ['a'] } }), 'required')
  t.equal(mode({ auth: { mode: 'optional' } }), 'optional')
  t.equal(mode({ auth: { mode: 'none' } }, 'required'), 'none')
  t.same(compileRouteConfig({ auth: { mode: 'optional', roles: ['a', 'b'] } }).roles, ['a', 'b'])
  t.equal(mode({ roles: [] }), 'required', 'naming roles, even none, opts the route in')
})

t.test('admitsAllOf: a policy admits at least another one only when it lets through everyone that one lets through', async (t) => {
  const policy = (auth: 'none' | 'optional' | 'required', roles?: string[]): RoutePolicy => compileRoutePolicy({ auth, ...(roles === undefined ? {} : { roles }) })
  const admits = (a: RoutePolicy, b: RoutePolicy): boolean => a.admitsAllOf(b)
  t.ok(admits(policy('none'), policy('none')))
  t.ok(admits(policy('none'), policy('required', ['a'])), 'none admits everything')
  t.ok(admits(policy('optional'), policy('required')))
  t.notOk(admits(policy('optional'), policy('none')), 'optional refuses bad tokens that none ignores')
  t.notOk(admits(policy('required'), policy('optional')), 'required refuses the anonymous callers optional lets in')
  t.ok(admits(policy('required'), policy('optional', ['a'])), 'optional with roles lets no anonymous caller in')
  t.notOk(admits(policy('optional', ['a']), policy('optional')), 'optional with roles refuses the anonymous callers plain optional lets in')
  t.ok(admits(policy('required', ['a', 'b']), policy('required', ['a'])), 'any-of: more roles admit more')
  t.notOk(admits(policy('required', ['a']), policy('required', ['a', 'b'])))
  t.notOk(admits(policy('required', ['a']), policy('required')))
  t.ok(admits(policy('required', []), policy('required')), 'an empty role list asks for nothing')
  t.ok(admits(policy('optional', ['a', 'b']), policy('required', ['b'])))
  // Every ordered pair against the oracle: for each outcome, what `b` admits `a` admits.
  const all = [policy('none'), policy('optional'), policy('required'), policy('optional', ['a']), policy('required', ['a']), policy('required', ['a', 'b']), policy('required', ['b'])]
  const holding = (roles: string[]): VerifyOutcome => authenticator.authenticate(bearer(tokens.sign({ sub: 'u1', sid: 's1', roles }).token))
  const outcomes = [...OUTCOMES.map((outcome) => OUTCOME[outcome]()), ...[[], ['a'], ['b'], ['a', 'b'], ['c']].map(holding)]
  const admitted = (p: RoutePolicy, outcome: VerifyOutcome): boolean => !(p.admit(outcome) instanceof AuthError)
  for (const a of all) {
    for (const b of all) {
      const oracle = outcomes.every((outcome) => !admitted(b, outcome) || admitted(a, outcome))
      t.equal(a.admitsAllOf(b), oracle, `${a.mode} ${JSON.stringify(a.roles)} vs ${b.mode} ${JSON.stringify(b.roles)}`)
    }
  }
  const handMade: RoutePolicy = { ...policy('required'), admitsAllOf: () => true }
  t.notOk(policy('required').admitsAllOf(handMade), 'a policy compileRoutePolicy did not make compares as strictest')
})
