// `oidc` in the gateway file: read with the plugin's schema and rules, errors name the file and the key, the value
// reaches the plugin, and a client secret written in the file (not `${VAR}`) gets the literal-secret warning. The
// sign-in itself: test/e2e/oidc-signin.test.ts and catalogue D.60–D.67.
import t from 'tap'
import { ConfigError, parseConfig } from '../src/config.js'
import { literalSecrets } from '../src/cli/literal-secrets.js'

const routes = [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }]
const tokens = { keysDir: '/nonexistent-keys' }
const provider = { name: 'corp', issuer: 'https://sso.example.com/realms/main', clientId: 'authgate', clientSecret: '${OIDC_SECRET}' }

function errorOf (fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
  }
  throw new Error('expected a ConfigError')
}

t.test('oidc is read, its secret from the environment, and kept as given', async (t) => {
  const config = parseConfig({ routes, tokens, oidc: { providers: [provider] } }, { file: 'gw.yaml', env: { OIDC_SECRET: 's3cret-from-env' } })
  t.match(config.oidc, { providers: [{ ...provider, clientSecret: 's3cret-from-env' }] })
  t.ok(Object.isFrozen(config.oidc))
  t.equal(parseConfig({ routes, tokens }).oidc, undefined, 'absent: off')
})

t.test('a literal client secret in the file is warned about; ${VAR} is not', async (t) => {
  t.same(literalSecrets({ oidc: { providers: [provider] } }), [])
  t.same(literalSecrets({ oidc: { providers: [{ ...provider, clientSecret: 'written-in-the-file' }] } }), ['oidc.providers[0].clientSecret'])
})

t.test('mistakes are start-up errors naming the file and the key', async (t) => {
  const bad = (oidc: unknown): string => errorOf(() => parseConfig({ routes, tokens, oidc }, { file: 'gw.yaml', env: { OIDC_SECRET: 'x' } }))
  t.match(bad({ providers: [{ ...provider, issuer: 'http://sso.example.com' }] }), /^gw\.yaml: invalid configuration \(1 problem\):\n {2}- oidc\.providers\[0\]\.issuer: /)
  t.match(bad({ providers: [{ ...provider, issuer: 'http://sso.example.com' }] }), /https/)
  t.match(bad({ providers: [{ ...provider, name: 'Corp/../x' }] }), /oidc\.providers\[0\]\.name/)
  t.match(bad({ providers: [{ ...provider, clientSecret: undefined }] }), /oidc\.providers\[0\]\.clientSecret:? is required/)
  t.match(bad({ providers: [{ ...provider, scope: ['openid'] }] }), /oidc\.providers\[0\]\.scope: unknown key/)
  t.match(bad({ providers: [{ ...provider, scopes: ['email'] }] }), /oidc\.providers\[0\]\.scopes:? must include "openid"/)
  t.match(bad({ providers: [provider, { ...provider, issuer: 'https://other.example.com' }] }), /oidc\.providers\[1\]\.name:? "corp" is listed twice/)
  t.match(bad({ providers: [] }), /oidc\.providers/)
  t.match(bad({ providers: [provider], linkByVerifiedEmail: 'yes' }), /oidc\.linkByVerifiedEmail/)
  t.match(bad({ providers: [{ ...provider, claims: { email: '__proto__.x y' } }] }), /oidc\.providers\[0\]\.claims\.email/)
  t.match(bad('on'), /^gw\.yaml: invalid configuration \(1 problem\):\n {2}- oidc: /)
  t.match(bad({ providers: [provider], extra: 1 }), /oidc\.extra: unknown key/)
})
