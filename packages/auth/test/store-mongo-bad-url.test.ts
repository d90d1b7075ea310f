// A MongoDB url the driver refuses is a configuration error (issue #13 review): it stops the plugin's registration
// with the driver's own error, as when the store built its client in its constructor, and a store used directly
// (the CLI's way) rejects with it too. Never AUTH_STORE_UNAVAILABLE: a 503 with Retry-After would promise a
// recovery that never comes, and readiness would stay false for good. No server is needed: the url is parsed first.
import t from 'tap'
import Fastify from 'fastify'
import { createStore } from '../src/stores.js'
import authgate, { isAuthError } from '../src/index.js'
import { loadStoreDriver } from '../src/stores/index.js'
import { testKey } from './helpers/keys.js'

const tokens = { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' }
const badUrls: Array<[string, RegExp]> = [
  ['mongodb://127.0.0.1/?tls=maybe', /tls/i],
  ['mongodb://u:p@ss@127.0.0.1/', /connection string/i],
  ['mongodb://127.0.0.1:99999/', /99999/]
]

for (const [url, problem] of badUrls) {
  t.test(`registration with ${url} rejects with the driver's parse error`, async (t) => {
    const app = Fastify({ logger: false })
    t.teardown(() => app.close())
    app.register(authgate, { store: { mongodb: { url, database: 'none' } }, tokens })
    const error = await app.ready().then(() => undefined, (error: unknown) => error)
    t.type(error, Error)
    t.notOk(isAuthError(error), 'not AUTH_STORE_UNAVAILABLE')
    t.match((error as Error).name, /^Mongo/, 'the driver\'s error')
    t.match((error as Error).message, problem, 'the message names the problem')
  })

  t.test(`createStore(${url}).init() rejects with the driver's error, not a 503`, async (t) => {
    const store = createStore({ mongodb: { url, database: 'none' } })
    t.teardown(() => store.close())
    for (const call of [() => store.init(), () => store.ping(), () => store.findUserByEmail('ada@example.com')]) {
      const error = await call().then(() => undefined, (error: unknown) => error)
      t.type(error, Error)
      t.notOk(isAuthError(error), 'not AUTH_STORE_UNAVAILABLE: no retry can cure it')
      t.match((error as Error).message, problem)
    }
  })
}

t.test('a url the driver accepts: preparing the store needs no server (the client connects on the first call)', async (t) => {
  const store = createStore({ mongodb: { url: 'mongodb://127.0.0.1:1/', database: 'none' } })
  t.teardown(() => store.close())
  await loadStoreDriver(store)
  t.pass('prepared')
})
