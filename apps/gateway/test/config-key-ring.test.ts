// tokens.keyStore: database in the gateway configuration, and the `authgate keys` command's refusals (no database
// needed: the database side is test/instances/key-rotation.test.ts and packages/auth/test/key-ring-mongo.test.ts).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { ConfigError, loadConfig, parseConfig } from '../src/config.js'
import { keysCommand } from '../src/cli/keys-ring.js'
import { UsageError } from '../src/cli/args.js'
import { configCommand } from '../src/cli/config-check.js'

const KEK = randomBytes(32).toString('base64')
const store = { mongodb: { url: 'mongodb://127.0.0.1:1', database: 'authgate' } }
const routes = [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }]

function errorOf (fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
  }
  throw new Error('expected a ConfigError')
}

t.test('tokens.keyStore: database', async (t) => {
  const config = parseConfig({ store, routes, tokens: { keyStore: 'database', keyEncryptionKey: KEK, keyRefresh: '2s' } })
  t.equal(config.tokens.keyRing?.store, 'database', 'the deprecated names are read as tokens.keyRing')
  t.equal(config.tokenTimes.keyRefreshMs, 2000)
  t.equal(config.tokens.keysDir, undefined)
  t.equal(parseConfig({ store, routes, tokens: { keyRing: { store: 'database', keyEncryptionKey: KEK } } }).tokenTimes.keyRefreshMs, 10_000, 'default refresh 10 s')
  for (const shown of [JSON.stringify(config), inspect(config, { depth: 10 })]) t.notOk(shown.includes(KEK), 'the KEK never shows in a dump of the configuration')

  const cases: Array<[unknown, RegExp]> = [
    [{ store, routes, tokens: { keyStore: 'database' } }, /tokens\.keyRing\.keyEncryptionKey: is required/],
    [{ store, routes, tokens: { keyStore: 'database', keyEncryptionKey: 'c2hvcnQ=' } }, /tokens\.keyRing\.keyEncryptionKey: must hold at least 32 bytes/],
    [{ routes, tokens: { keyStore: 'database', keyEncryptionKey: KEK } }, /tokens\.keyRing\.store: database needs store\.mongodb/],
    [{ store, routes, tokens: { keyStore: 'files', keyEncryptionKey: KEK } }, /tokens\.keyRing\.store: must be "database"/],
    [{ store, routes, tokens: { keysDir: '/k', keyEncryptionKey: KEK } }, /tokens\.keyRing\.store: is required/],
    [{ store, routes, tokens: { keysDir: '/k', keyRefresh: '1s' } }, /tokens\.keyRing\.store: is required/],
    [{ store, routes, tokens: { keyStore: 'database', keyEncryptionKey: KEK, keyRefresh: '10ms' } }, /tokens\.keyRing\.refreshInterval: must be from 50 ms/]
  ]
  for (const [input, pattern] of cases) t.match(errorOf(() => parseConfig(input)), pattern, String(pattern))
  const message = errorOf(() => parseConfig({ store, routes, tokens: { keyStore: 'database', keyEncryptionKey: KEK.slice(0, 20) } }))
  t.notOk(message.includes(KEK.slice(0, 20)), 'the error does not quote the value')

  const dir = mkdtempSync(join(tmpdir(), 'authgate-keyring-config-'))
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, 'store: { mongodb: { url: mongodb://127.0.0.1:1, database: a } }\ntokens: { keyStore: database, keyEncryptionKey: ${AUTHGATE_KEY_ENCRYPTION_KEY} }\nroutes:\n  - { prefix: /api, upstream: http://127.0.0.1:1 }\n')
  t.equal(loadConfig(file, { env: { AUTHGATE_KEY_ENCRYPTION_KEY: KEK } }).tokens.keyRing?.store, 'database', 'from the environment')
  t.match(errorOf(() => loadConfig(file, { env: {} })), /AUTHGATE_KEY_ENCRYPTION_KEY is not set/, 'refuses to start without it')
  process.env.AUTHGATE_KEY_ENCRYPTION_KEY = KEK
  t.teardown(() => { delete process.env.AUTHGATE_KEY_ENCRYPTION_KEY })
  t.equal(await configCommand(['check', file]), 0, 'authgate config check accepts it (the keys are in the database)')
})

t.test('authgate keys: usage and configuration errors', async (t) => {
  await t.rejects(keysCommand(['rotate']), UsageError, '--config is required')
  await t.rejects(keysCommand(['spin', '--config', 'x']), /unknown keys command spin/)
  await t.rejects(keysCommand(['list', '--force', '--config', 'x']), /--force is only for keys rotate/)
  await t.rejects(keysCommand(['rotate', '--kid', 'k', '--config', 'x']), /--kid is only for keys retire/)
  const dir = mkdtempSync(join(tmpdir(), 'authgate-keyring-cli-'))
  const file = join(dir, 'files.yaml')
  writeFileSync(file, 'tokens: { keysDir: ./keys }\nroutes:\n  - { prefix: /api, upstream: http://127.0.0.1:1 }\n')
  await t.rejects(keysCommand(['rotate', '--config', file]), /tokens\.keyRing is not set/, 'a keysDir configuration is refused')
})
