// The OIDC browser-binding cookie is an auth cookie like the refresh and device cookies: with `__Host-` it lives on
// Path=/, so every proxied request would carry it: the gateway drops it towards upstreams and drops an upstream's
// attempt to set it.
import t from 'tap'
import { generateKey } from '@authgate/fastify'
import { parseConfig } from '../src/config.js'
import { createHeaderPolicy, filterCookieHeader } from '../src/headers.js'

for (const name of ['authgate_rt', '__Host-authgate_rt', '__Secure-authgate_rt']) {
  t.test(`cookie.name ${name}: the binding cookie never reaches an upstream`, async (t) => {
    const config = parseConfig({
      tokens: { keys: [generateKey('EdDSA')], issuer: 'authgate-test', audience: 'upstream' },
      cookie: { name, secure: true },
      routes: [{ prefix: '/', upstream: 'http://127.0.0.1:9', auth: 'none' }]
    }, { file: 'headers-oidc-binding' })
    const policy = createHeaderPolicy(config)
    for (const binding of ['__Host-authgate_rt_oidc', 'authgate_rt_oidc']) {
      t.equal(filterCookieHeader(`a=1; ${binding}=${'x'.repeat(43)}; b=2`, policy.cookieNames), 'a=1; b=2', binding)
    }
  })
}
