// mongodb, ioredis and nodemailer are optional peers (issue #13): importing the plugin loads none of them, an in-memory app runs
// without them, and an option that needs one fails with an error naming the package to install (not a bare
// ERR_MODULE_NOT_FOUND, not a 503). "Not installed" is made real with a resolve hook: when the plugin's own source
// asks for `mongodb` or `ioredis`, Node's resolver looks for it from an empty folder outside the workspace, and
// answers with its genuine ERR_MODULE_NOT_FOUND. Every other importer (the test runner, Fastify) resolves as usual.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { register } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const empty = mkdtempSync(join(tmpdir(), 'authgate-no-peers-'))
t.teardown(() => { rmSync(empty, { recursive: true, force: true }) })
const hooks = `
let from
export function initialize (data) { from = data.from }
export async function resolve (specifier, context, next) {
  if ((specifier === 'mongodb' || specifier === 'ioredis' || specifier === 'nodemailer') && context.parentURL !== undefined && context.parentURL.includes('/packages/auth/src/')) {
    return next(specifier, { ...context, parentURL: from })
  }
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { parentURL: import.meta.url, data: { from: pathToFileURL(join(empty, 'app.js')).href } })

// Imported after the hook: a static import of either package anywhere in the plugin (or its entries for tools)
// would fail right here.
const plugin = await import('../src/index.js')
const admin = await import('../src/admin.js')
const stores = await import('../src/stores.js')
const { default: Fastify } = await import('fastify')
const { testKey } = await import('./helpers/keys.js')
const authgate = plugin.default
const tokens = { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' }

t.test('the hook really hides the packages from the plugin', async (t) => {
  const { loadMongoDriver } = await import('../src/stores/mongo/driver.js')
  const error = await loadMongoDriver().catch((error: unknown) => error)
  t.type(error, plugin.MissingPeerError)
  t.match((error as Error).cause, { message: /^Cannot find package 'mongodb' imported from / }, 'Node\'s own resolution error is the cause')
})

t.test('importing the plugin loads neither; an in-memory app logs in and calls a protected route', async (t) => {
  const store = new plugin.MemorySessionStore()
  await admin.addUser(store, { email: 'ada@example.com', password: 'correct horse battery staple' })
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(authgate, { store, tokens })
  app.get('/private', { config: { auth: 'required' } }, async (request) => ({ sub: request.user?.sub }))
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ada@example.com', password: 'correct horse battery staple' } })
  t.equal(login.statusCode, 200)
  const answer = await app.inject({ url: '/private', headers: { authorization: `Bearer ${login.json<{ accessToken: string }>().accessToken}` } })
  t.equal(answer.statusCode, 200)
})

t.test('store.mongodb without mongodb: registration fails naming the package', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(authgate, { store: { mongodb: { url: 'mongodb://127.0.0.1:1', database: 'none' } }, tokens })
  const error = await app.ready().then(() => undefined, (error: unknown) => error)
  t.type(error, plugin.MissingPeerError)
  t.match(error, { code: 'AUTHGATE_PEER_MISSING', packageName: 'mongodb', message: /store\.mongodb needs the "mongodb" package.*npm install mongodb@\^7/ })
})

t.test('a MongoDB store used directly (the CLI\'s way): init() rejects with the same error, not a 503', async (t) => {
  const store = stores.createStore({ mongodb: { url: 'mongodb://127.0.0.1:1', database: 'none' } })
  t.teardown(() => store.close())
  const error = await store.init().then(() => undefined, (error: unknown) => error)
  t.type(error, plugin.MissingPeerError)
  t.notOk(plugin.isAuthError(error), 'not AUTH_STORE_UNAVAILABLE: no retry can cure it')
  t.match(error, { packageName: 'mongodb', message: /npm install mongodb/ })
})

t.test('rateLimit.redis as a URL without ioredis: registration fails naming the package', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(authgate, { store: { memory: true }, tokens, rateLimit: { redis: 'redis://127.0.0.1:1' } })
  const error = await app.ready().then(() => undefined, (error: unknown) => error)
  t.type(error, plugin.MissingPeerError)
  t.match(error, { code: 'AUTHGATE_PEER_MISSING', packageName: 'ioredis', message: /rateLimit\.redis needs the "ioredis" package.*npm install ioredis@\^5/ })
})

t.test('mail.smtp without nodemailer: registration fails naming the package', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(authgate, { store: { memory: true }, tokens, auth: { publicOrigin: 'https://app.example.com' }, mail: { smtp: { url: 'smtp://127.0.0.1:1', from: 'no-reply@example.com' } } })
  const error = await app.ready().then(() => undefined, (error: unknown) => error)
  t.type(error, plugin.MissingPeerError)
  t.match(error, { code: 'AUTHGATE_PEER_MISSING', packageName: 'nodemailer', message: /mail\.smtp needs the "nodemailer" package.*npm install nodemailer@\^10/ })
})

t.test('a package that is installed but fails to load keeps its own error', async (t) => {
  const { importOptionalPeer } = await import('../src/internal/optional-peer.js')
  const broken = new Error('Cannot find package \'bson\' imported from /x/node_modules/mongodb/lib/index.js')
  Object.assign(broken, { code: 'ERR_MODULE_NOT_FOUND' })
  const error = await importOptionalPeer('mongodb', 'store.mongodb', async () => { throw broken }).catch((error: unknown) => error)
  t.equal(error, broken, 'not reported as mongodb missing: mongodb is there, its dependency is not')
})
