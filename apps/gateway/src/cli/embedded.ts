// `authgate start` without --config: a working gateway in one command, for trying authgate out. Development keys
// in .authgate-dev/keys (gitignored; generated once), the in-memory store (or MongoDB when MONGODB_URL is set),
// the demo upstream in-process on a free loopback port, routes /public (none), /api (required) and /admin
// (role admin), a demo user whose generated password is printed once, and open self-registration (said so).
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { addUser } from '@authgate/fastify/admin'
import { createStore } from '@authgate/fastify/stores'
import { generateKey, loadKeysDir, writeKeysDir } from '@authgate/fastify/tokens'
import { isAuthError, type SessionStore } from '@authgate/fastify'
import { startDemoUpstream, type DemoUpstream } from '../demo-upstream.js'
import { parseConfig, type GatewayConfig } from '../config.js'
import type { DemoFiles } from '../static-demo.js'

export interface EmbeddedSetup {
  config: GatewayConfig
  store: SessionStore
  upstream: DemoUpstream
  user: { email: string, password: string }
  demo: DemoFiles | undefined
  persistent: boolean
}

/** The development key set: loaded when present, generated (EdDSA) on first use. */
export function ensureDevKeys (dir: string): string {
  try {
    loadKeysDir(dir)
  } catch {
    writeKeysDir(dir, [generateKey('EdDSA')])
  }
  return dir
}

/**
 * The demo page this package ships (`demo/`, beside `src/` and `dist/`: the same path from either), and the build
 * of @authgate/client it loads, found the way Node finds the package, so that an installed gateway serves it too.
 */
function findDemoFiles (): DemoFiles | undefined {
  const dir = fileURLToPath(new URL('../../demo/', import.meta.url))
  if (!existsSync(dir)) return undefined
  const clientDist = findClientBuild()
  return clientDist === undefined ? { dir } : { dir, clientDist }
}

/** The `dist/` of @authgate/client, when it is built (a checkout before `pnpm build` has none: the page says so). */
function findClientBuild (): string | undefined {
  let manifest: string
  try {
    manifest = createRequire(import.meta.url).resolve('@authgate/client/package.json')
  } catch {
    return undefined
  }
  const dist = join(dirname(manifest), 'dist')
  return existsSync(join(dist, 'index.js')) ? dist : undefined
}

async function createDemoUser (store: SessionStore): Promise<{ email: string, password: string }> {
  const password = randomBytes(12).toString('base64url')
  for (const email of ['demo@authgate.local', `demo-${randomBytes(4).toString('hex')}@authgate.local`]) {
    try {
      await addUser(store, { email, password, roles: ['user'] })
      return { email, password }
    } catch (error) {
      // A database kept from an earlier run already has the demo user (whose password we no longer know).
      if (!isAuthError(error) || error.code !== 'AUTH_EMAIL_TAKEN') throw error
    }
  }
  throw new Error('could not create a demo user')
}

/** `host`: where the gateway listens (the demo upstream stays on loopback either way). */
export async function embeddedSetup (env: Readonly<Record<string, string | undefined>>, port: number, host = '127.0.0.1'): Promise<EmbeddedSetup> {
  const keysDir = ensureDevKeys(join(process.cwd(), '.authgate-dev', 'keys'))
  const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0 })
  const mongoUrl = env.MONGODB_URL
  const config = parseConfig({
    server: { host, port },
    log: { level: 'info' },
    ...(mongoUrl === undefined || mongoUrl === '' ? {} : { store: { mongodb: { url: mongoUrl, database: 'authgate' } } }),
    tokens: { algorithm: 'EdDSA', keysDir, issuer: 'authgate', audience: 'upstream' },
    // Plain HTTP on loopback: a Secure cookie would not be sent back by every client (curl over http://127.0.0.1).
    cookie: { secure: false, sameSite: 'strict' },
    // A demo to try things out: anyone may create an account (off by default in a configured gateway; the banner says so).
    auth: { registration: true },
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' },
      { prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] }
    ]
  }, { file: 'embedded default configuration' })
  const store = createStore(config.store)
  try {
    await store.init()
    const user = await createDemoUser(store)
    return { config, store, upstream, user, demo: findDemoFiles(), persistent: config.store !== undefined }
  } catch (error) {
    await upstream.close()
    await store.close()
    throw error
  }
}

/** The lines printed once the embedded gateway listens. */
export function embeddedBanner (url: string, setup: EmbeddedSetup): string {
  const { email, password } = setup.user
  const login = `curl -s -X POST ${url}/auth/login -H 'content-type: application/json' -d '{"email":"${email}","password":"${password}"}'`
  const lines = [
    '',
    `authgate is running at ${url} (embedded demo configuration)`,
    setup.persistent
      ? '  store: MongoDB (MONGODB_URL)'
      : '  WARNING: in-memory store: users and sessions vanish when this process stops. Set MONGODB_URL or use --config.',
    ...(['127.0.0.1', '::1', 'localhost'].includes(setup.config.server.host)
      ? []
      : [`  WARNING: listening on ${setup.config.server.host}: other machines reach this demo, its open registration and its plain-HTTP cookies`]),
    `  upstream: demo service at ${setup.upstream.url} (echoes the identity headers it receives)`,
    '  routes: /public (anonymous), /api (login required), /admin (role admin)',
    `  registration: OPEN (demo only): anyone can create an account with POST ${url}/auth/register and pass /api;`,
    '    a configured gateway keeps it off unless auth.registration: true',
    '',
    `  demo user: ${email}`,
    `  password:  ${password}`,
    '',
    '  1. log in and keep the access token:',
    `     TOKEN=$(${login} | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).accessToken')`,
    '  2. call the upstream through the gateway; it sees your user id as the x-user-id header:',
    `     curl -s ${url}/api/whoami -H "authorization: Bearer $TOKEN"`,
    '  3. without a token the gateway answers 401 and the upstream sees nothing:',
    `     curl -si ${url}/api/whoami`,
    ...(setup.demo === undefined ? [] : ['', `  demo page: ${url}/demo/`]),
    ''
  ]
  return lines.join('\n')
}
