// tokens.trustedIssuers in the gateway file: read with the plugin's rules, errors name the file and the key, and
// the value reaches the plugin (the behaviour itself: test/faults/trusted-issuers.test.ts, catalogue A.23).
import t from 'tap'
import { ConfigError, parseConfig } from '../src/config.js'

const routes = [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }]
const keysDir = '/nonexistent-keys'
const idp = { issuer: 'https://sso.example.com/realms/main', discovery: true, audience: 'orders-api', claims: { roles: 'realm_access.roles' } }

function errorOf (fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
  }
  throw new Error('expected a ConfigError')
}

t.test('tokens.trustedIssuers is read and kept as given', async (t) => {
  const config = parseConfig({ routes, tokens: { keysDir, trustedIssuers: [idp] } }, { file: 'gw.yaml' })
  t.same(config.tokens.trustedIssuers, [idp])
  t.ok(Object.isFrozen(config.tokens.trustedIssuers))
  t.equal(parseConfig({ routes, tokens: { keysDir } }).tokens.trustedIssuers, undefined, 'absent: none')
})

t.test('mistakes are start-up errors naming the file and the key', async (t) => {
  t.match(errorOf(() => parseConfig({ routes, tokens: { keysDir, trustedIssuers: [{ ...idp, algorithms: ['HS256'] }] } }, { file: 'gw.yaml' })),
    /^gw\.yaml: invalid configuration \(1 problem\):\n {2}- tokens\.trustedIssuers\[0\]\.algorithms: HS256 is not accepted/)
  t.match(errorOf(() => parseConfig({ routes, tokens: { keysDir, trustedIssuers: [{ ...idp, jwksUrl: 'http://sso.example.com/jwks', discovery: undefined }] } }, { file: 'gw.yaml' })),
    /tokens\.trustedIssuers\[0\]\.jwksUrl: must be https/)
  t.match(errorOf(() => parseConfig({ routes, tokens: { keysDir, issuer: idp.issuer, trustedIssuers: [idp] } }, { file: 'gw.yaml' })),
    /tokens\.trustedIssuers\[0\]\.issuer: .* is tokens\.issuer \(our own\)/)
  t.match(errorOf(() => parseConfig({ routes, tokens: { keysDir, trustedIssuers: { issuer: 'x' } } }, { file: 'gw.yaml' })),
    /tokens\.trustedIssuers: must be a list/)
})
