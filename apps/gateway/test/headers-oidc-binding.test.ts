// The OIDC browser-binding cookie is an auth cookie like the refresh and device cookies: with `__Host-` it lives on
// Path=/, so every proxied request would carry it: the gateway drops it towards upstreams and drops an upstream's
// attempt to set it. Its name is the plugin's to decide (bindingCookieName, which the plugin's own cookie uses; the
// e2e test oidc-signin.test.ts checks the name a real sign-in sets): whatever it answers, the gateway strips.
import t from 'tap'
import { bindingCookieName } from '@authgate/fastify/proxy'
import { generateKey } from '@authgate/fastify/tokens'
import { parseConfig } from '../src/config.js'
import { createHeaderPolicy, filterCookieHeader } from '../src/headers.js'

for (const name of ['authgate_rt', '__Host-authgate_rt', '__Secure-authgate_rt', 'rt']) {
  for (const secure of [true, false]) {
    // A prefixed name needs a Secure cookie: the configuration refuses the other combination (config.test.ts).
    if (!secure && name.startsWith('__')) continue
    t.test(`cookie.name ${name}, secure ${secure}: the binding cookie never reaches an upstream`, async (t) => {
      const config = parseConfig({
        tokens: { keys: [generateKey('EdDSA')], issuer: 'authgate-test', audience: 'upstream' },
        cookie: { name, secure },
        routes: [{ prefix: '/', upstream: 'http://127.0.0.1:9', auth: 'none' }]
      }, { file: 'headers-oidc-binding' })
      const policy = createHeaderPolicy(config)
      // Both forms: a cookie set while the site was served Secure is still sent after a switch, and the reverse.
      for (const binding of [bindingCookieName(name, true), bindingCookieName(name, false)]) {
        t.equal(filterCookieHeader(`a=1; ${binding}=${'x'.repeat(43)}; b=2`, policy.cookieNames), 'a=1; b=2', binding)
      }
    })
  }
}
