// users.refresh / users.lookupUrl / users.recheckInterval (issue #11, item 3): recheck is the default once a lookup
// URL is given; without one the gateway starts with `none` and warns; contradictions are refused by name.
import t from 'tap'
import { parseConfig } from '../src/config.js'
import { legacyRefreshWarning } from '../src/cli/users-refresh.js'

const base = { tokens: { keysDir: './keys' }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] }
const legacy = { source: 'upstream', url: 'http://legacy/login', map: { id: 'id' } }

t.test('defaults and refusals', async (t) => {
  const withLookup = parseConfig({ ...base, users: { ...legacy, lookupUrl: 'http://legacy/users' } })
  // The gateway hands `users` to the plugin as written: the plugin fills refresh (recheck with a lookupUrl) and the
  // 5 min interval (packages/auth/src/options/normalise.ts legacyUsers).
  t.match(withLookup.users, { source: 'upstream', lookupUrl: 'http://legacy/users' })
  t.equal(legacyRefreshWarning(withLookup.users), undefined)
  const without = parseConfig({ ...base, users: legacy })
  t.equal(without.users.refresh, undefined, 'none is what the plugin reads from no lookupUrl')
  t.match(legacyRefreshWarning(without.users), /keeps the roles of their login/)
  t.equal(legacyRefreshWarning(parseConfig(base).users), undefined, 'no warning for built-in users')
  t.match(parseConfig({ ...base, users: { ...legacy, lookupUrl: 'http://legacy/users', recheckInterval: '30s' } }).users, { recheckInterval: '30s' })
  const refused: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...legacy, refresh: 'recheck' }, /users\.lookupUrl.*is required with users\.refresh: recheck/],
    [{ ...legacy, refresh: 'none', recheckInterval: '1m' }, /users\.recheckInterval.*needs users\.refresh: recheck/],
    [{ ...legacy, refresh: 'sometimes' }, /users\.refresh.*must be one of recheck, none/],
    [{ ...legacy, lookupUrl: 'ftp://legacy' }, /users\.lookupUrl/],
    [{ ...legacy, lookupUrl: 'http://legacy/u', recheckInterval: '2d' }, /users\.recheckInterval/],
    [{ source: 'builtin', lookupUrl: 'http://legacy/u' }, /users\.lookupUrl.*is only for users\.source: upstream/]
  ]
  for (const [users, message] of refused) t.throws(() => parseConfig({ ...base, users }), message, JSON.stringify(users))
})
