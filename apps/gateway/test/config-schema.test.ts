// Issue #12 items 1 and 5 on the gateway side: the file schema composed from the plugin's sections, every problem
// at once, suggestions, AUTHGATE_* overrides typed by the schema, ${VAR:-default}, durations from ${VAR}, the
// shipped authgate.schema.json, the README table, and keys that cannot be read refusing start.
import t from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ConfigError, loadConfig, parseConfig } from '../src/config.js'
import { gatewaySchema } from '../src/config/schema.js'
import { schemaText } from '../src/config/schema-file.js'
import { envKeys, envTable, isFileOnly } from '@authgate/fastify/config'
import { checkStartable } from '../src/startup-checks.js'
import { configCommand } from '../src/cli/config-check.js'
import { UsageError } from '../src/cli/args.js'

const dir = mkdtempSync(join(tmpdir(), 'authgate-config-schema-'))
function file (name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const ROUTES = 'routes:\n  - { prefix: /api, upstream: http://127.0.0.1:1 }\n'

function problems (run: () => unknown): readonly string[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('a typo in the file is refused with a suggestion', async (t) => {
  const path = file('typo.yaml', `tokens: { keysDir: ./keys, accesTtl: 10m }\ncookies: { secure: false }\n${ROUTES}`)
  t.same([...problems(() => loadConfig(path, { env: {} }))].sort(), ['cookies: unknown key (did you mean cookie?)', 'tokens.accesTtl: unknown key (did you mean accessTtl?)'])
})

t.test('three mistakes, three lines', async (t) => {
  const path = file('three.yaml', `server: { port: 70000 }\ntokens: { keysDir: ./keys, refreshTtl: forever }\nrateLimit: { login: { max: 0 } }\n${ROUTES}`)
  let message = ''
  try { loadConfig(path, { env: {} }) } catch (error) { message = (error as Error).message }
  t.match(message, `${path}: invalid configuration (3 problems):`)
  t.same(message.split('\n').slice(1), [
    '  - server.port: must be at most 65535',
    '  - tokens.refreshTtl: must be a duration: milliseconds (a number) or a string like 500ms, 90s, 15m, 1h30m, 7d',
    '  - rateLimit.login.max: must be at least 1'
  ])
})

t.test('AUTHGATE_* overrides: applied after the file, typed by the schema', async (t) => {
  const path = file('env.yaml', `server: { port: 8080 }\ntokens: { keysDir: ./keys }\n${ROUTES}`)
  const config = loadConfig(path, {
    env: { AUTHGATE_SERVER_PORT: '9000', AUTHGATE_TOKENS_ACCESS_TTL: '10m', AUTHGATE_COOKIE_SECURE: 'false', AUTHGATE_STORE_MONGODB_URL: 'mongodb://127.0.0.1:1', AUTHGATE_TEST_DB: 'ignored' }
  })
  t.equal(config.server.port, 9000)
  t.equal(config.tokenTimes.accessTtlMs, 600_000)
  t.equal(config.cookie.secure, false)
  t.equal(config.store?.mongodb.url, 'mongodb://127.0.0.1:1')
  t.same(problems(() => loadConfig(path, { env: { AUTHGATE_SERVER_PORT: 'eighty' } })), ['AUTHGATE_SERVER_PORT: must be a whole number (server.port)'])
  t.same(problems(() => loadConfig(path, { env: { AUTHGATE_TOKENS_ACCESS_TTL: 'soon' } })), ['AUTHGATE_TOKENS_ACCESS_TTL: must be a duration: milliseconds (a number) or a string like 500ms, 90s, 15m, 1h30m, 7d (tokens.accessTtl)'])
  t.same(problems(() => loadConfig(path, { env: { AUTHGATE_TOKENS_ACCES_TTL: '10m' } })), ['AUTHGATE_TOKENS_ACCES_TTL: names no configuration key (did you mean AUTHGATE_TOKENS_ACCESS_TTL?)'])
  t.same(problems(() => loadConfig(path, { env: { AUTHGATE_COOKIE_SAME_SITE: 'sideways' } })), ['AUTHGATE_COOKIE_SAME_SITE: must be one of strict, lax, none (cookie.sameSite)'])
  t.ok(envTable(gatewaySchema()).some(([name, key]) => name === 'AUTHGATE_RATE_LIMIT_LOGIN_TIME_WINDOW' && key === 'rateLimit.login.timeWindow'))
})

t.test('store.mongodb: the MongoDB store\'s limits and collection names, from the file and AUTHGATE_*, reach the plugin', async (t) => {
  const path = file('store.yaml', `store: { mongodb: { url: 'mongodb://127.0.0.1:1', serverSelectionTimeoutMS: 500, collections: { users: people } } }\ntokens: { keysDir: ./keys }\n${ROUTES}`)
  const config = loadConfig(path, { env: { AUTHGATE_STORE_MONGODB_MAX_TIME_MS: '700' } })
  t.match(config.store?.mongodb, { url: 'mongodb://127.0.0.1:1', database: 'authgate', serverSelectionTimeoutMS: 500, maxTimeMS: 700, collections: { users: 'people', sessions: 'sessions' } })
  const bad = file('store-bad.yaml', `store: { mongodb: { url: 'mongodb://127.0.0.1:1', maxTimeMs: 500, serverSelectionTimeoutMS: 50, client: x } }\ntokens: { keysDir: ./keys }\n${ROUTES}`)
  t.same([...problems(() => loadConfig(bad, { env: {} }))].sort(), [
    'store.mongodb.client: unknown key',
    'store.mongodb.maxTimeMs: unknown key (did you mean maxTimeMS?)',
    'store.mongodb.serverSelectionTimeoutMS: must be at least 100'
  ], 'code-only keys and typos refused in the file')
})

t.test('${VAR} durations and ${VAR:-default}', async (t) => {
  const path = file('vars.yaml', `tokens: { keysDir: \${KEYS:-./keys}, accessTtl: \${TTL}, reuseGrace: \${GRACE:-2s} }\nrateLimit: { login: { max: \${MAX:-3}, timeWindow: \${WINDOW} } }\n${ROUTES}`)
  const config = loadConfig(path, { env: { TTL: '1h30m', WINDOW: '1500' } })
  t.equal(config.tokenTimes.accessTtlMs, 5_400_000, 'a duration from ${VAR}')
  t.equal(config.tokens.keysDir, join(dir, 'keys'), 'the default of ${KEYS:-./keys}')
  t.equal(config.tokens.reuseGrace, '2s')
  const limits: unknown = config.rateLimit
  t.match(limits, { login: { max: 3, timeWindow: '1500' } }, 'digits from ${VAR}: milliseconds, as a bare number; MAX fell back to 3')
})

t.test('the deprecated key-ring names keep working, and are reported', async (t) => {
  const kek = randomBytes(32).toString('base64')
  const config = parseConfig({ store: { mongodb: { url: 'mongodb://127.0.0.1:1' } }, tokens: { keyStore: 'database', keyEncryptionKey: kek, keyRefresh: '2s' }, routes: [{ prefix: '/a', upstream: 'http://h' }] })
  t.equal(config.tokens.keyRing?.store, 'database')
  t.equal(config.tokenTimes.keyRefreshMs, 2000)
  t.same(config.deprecations, ['tokens.keyStore is deprecated: use tokens.keyRing.store', 'tokens.keyEncryptionKey is deprecated: use tokens.keyRing.keyEncryptionKey', 'tokens.keyRefresh is deprecated: use tokens.keyRing.refreshInterval'])
  t.notOk(JSON.stringify(config).includes(kek), 'the KEK never shows in a dump of the configuration')
})

t.test('a key directory that cannot be read refuses start, naming the path and the reason', async (t) => {
  const missing = join(dir, 'no-keys')
  const config = parseConfig({ tokens: { keysDir: missing }, routes: [{ prefix: '/a', upstream: 'http://h' }] }, { file: 'my.yaml' })
  t.throws(() => checkStartable(config), { message: new RegExp(`tokens\\.keysDir: cannot read the key manifest ${join(missing, 'keys.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(ENOENT\\)`) })
})

t.test('authgate.schema.json is the schema the gateway validates with', async (t) => {
  const shipped = readFileSync(new URL('../authgate.schema.json', import.meta.url), 'utf8')
  t.equal(shipped, schemaText(), 'run `pnpm --filter @authgate/gateway schema` after changing the schema')
})

/** What `run` writes to stdout (the CLI prints with process.stdout.write). */
async function stdoutOf (run: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array): boolean => { chunks.push(String(chunk)); return true })
  try {
    await run()
  } finally {
    process.stdout.write = write
  }
  return chunks.join('')
}

t.test('`authgate config schema` is a sub-verb of the config group: it prints the schema, and takes no arguments', async (t) => {
  let code: number | undefined
  const printed = await stdoutOf(async () => { code = await configCommand(['schema']) })
  t.equal(code, 0)
  t.equal(printed.trimEnd(), schemaText().trimEnd(), 'the same text as authgate.schema.json')
  t.match(JSON.parse(printed), { properties: { oidc: { properties: { providers: {} } } } }, 'the OIDC section is one of the plugin sections')
  await t.rejects(configCommand(['schema', 'extra']), UsageError, 'a stray argument is a usage error')
  await t.rejects(configCommand(['schema', '--strict']), { name: 'UsageError', message: /--strict is only for config check/ })
  await t.rejects(configCommand(['schemas']), { name: 'UsageError', message: /did you mean config schema/ })
  const help = await stdoutOf(async () => { code = await configCommand(['--help']) })
  t.match(help, /authgate config schema/, 'the group help names it')
})

t.test('the README configuration table and the schema list the same keys', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const documented = new Set([...readme.matchAll(/^\| `([A-Za-z0-9_.[\]]+)` \| `AUTHGATE_[A-Z0-9_]+`? ?\|/gm)].map((match) => match[1] as string))
  const documentedAll = new Set([...readme.matchAll(/^\| `([a-z][A-Za-z0-9_.[\]]*)` \|/gm)].map((match) => match[1] as string))
  const keys = envTable(gatewaySchema()).map(([, key]) => key)
  const routeKeys = Object.keys((gatewaySchema().properties.routes as unknown as { items: { properties: object } }).items.properties).map((key) => `routes[].${key}`)
  for (const key of [...keys, ...routeKeys]) t.ok(documentedAll.has(key), `${key} is documented`)
  const known = new Set([...keys, ...routeKeys])
  t.same([...documentedAll].filter((key) => !known.has(key)), [], 'no documented key is missing from the schema')
  t.ok(documented.size > 0)
  // Each row's variable is the one the schema derives (a list of objects: "(file only)", its variable is refused).
  const rows = [...readme.matchAll(/^\| `([a-z][A-Za-z0-9_.]*)` \| (`AUTHGATE_[A-Z0-9_]+`|\(file only\)) \|/gm)].map((match) => `${match[1] as string} ${(match[2] as string).replace(/`/g, '')}`)
  const derived = [...envKeys(gatewaySchema()).entries()].map(([name, key]) => `${key.path.join('.')} ${isFileOnly(key) ? '(file only)' : name}`)
  t.same(rows.sort(), derived.sort(), 'README (key, variable) pairs = envTable(gatewaySchema())')
})

t.test('admin role names take the token\'s limit (128 characters), in the schema as in the plugin', async (t) => {
  const adminIssues = (role: string): string[] => {
    try {
      parseConfig({ admin: { roles: [role], grantableRoles: [role] }, routes: [{ prefix: '/a', upstream: 'http://h' }] })
      return []
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.filter((issue) => issue.startsWith('admin'))
      throw error
    }
  }
  t.same(adminIssues('r'.repeat(128)), [], 'a role a token can carry is accepted')
  t.equal(adminIssues('r'.repeat(129)).length, 2, 'one longer is refused in both keys')
})
