// Real-browser test support: Chromium through playwright-core, the built client, and two targets serving the demo
// page: the real gateway (configured like its embedded mode, with 2-second access tokens), and a bare Fastify app
// with the authgate plugin (for the Node client against the plugin itself).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import { chromium, type Browser } from 'playwright-core'
import type { Test } from 'tap'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import authgate from '@authgate/fastify'
import { startDemoUpstream } from '@authgate/gateway/demo-upstream'
import { buildApp, parseConfig } from '@authgate/gateway'

export const CHROMIUM_PATH = '/usr/bin/chromium'
// No sandbox (CI runs as root in a container), and nothing that would make Chromium talk to anything but loopback.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic']

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const CLIENT_DIR = join(ROOT, 'packages/client')
/** The demo page, shipped in the gateway package (its embedded mode serves it). */
export const DEMO_DIR = join(ROOT, 'apps/gateway/demo')
export const ARTIFACTS_DIR = join(ROOT, 'test/artifacts')

/** Launches Chromium, closed at teardown. A missing browser is a failure with instructions, never a silent skip. */
export async function launchChromium (t: Test): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: the browser end-to-end test needs the Debian package ` +
      '`chromium` (apt-get install -y chromium). CI must install it.')
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  t.teardown(() => browser.close())
  return browser
}

/** The browser loads the built client: (re)build it when dist/ is missing or older than a source file. */
export function ensureClientBuilt (): void {
  const built = join(CLIENT_DIR, 'dist/index.js')
  const sources = readdirSync(join(CLIENT_DIR, 'src')).map((name) => statSync(join(CLIENT_DIR, 'src', name)).mtimeMs)
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources)) return
  const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', join(CLIENT_DIR, 'tsconfig.build.json')], { stdio: 'inherit' })
}

export function artifactPath (name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  return join(ARTIFACTS_DIR, name)
}

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' }

/**
 * Serves /demo/ the way the gateway's embedded mode does: the demo directory, the built client as /demo/client.js,
 * and the client's other dist modules next to it (dist/index.js imports its siblings by relative path).
 */
export function serveDemo (app: FastifyInstance): void {
  const demoDir = DEMO_DIR
  const distDir = join(CLIENT_DIR, 'dist')
  app.get('/demo', { config: { auth: 'none' } }, async (_request, reply) => reply.redirect('/demo/'))
  app.get('/demo/*', { config: { auth: 'none' } }, async (request, reply) => {
    const name = (request.params as { '*': string })['*'] || 'index.html'
    // Only plain file names: no directories, no traversal.
    if (name !== basename(name) || name.startsWith('.')) return reply.code(404).send()
    const file = name === 'client.js' ? join(distDir, 'index.js') : existsSync(join(demoDir, name)) ? join(demoDir, name) : join(distDir, name)
    const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))]
    if (type === undefined || !existsSync(file)) return reply.code(404).send()
    return reply.type(type).header('cache-control', 'no-store').send(await readFile(file))
  })
}

export interface DemoTarget {
  origin: string
  kind: 'gateway' | 'plugin-app'
}

/**
 * The real gateway (buildApp) configured as `authgate start` does without a config (in-memory store, demo upstream
 * behind /api, demo page at /demo/, plain-HTTP cookie on loopback), except: 2-second access tokens with no clock
 * tolerance (so they really expire), revocations propagated within 1 s, and keys in a temporary directory.
 */
export async function startGatewayDemo (t: Test, options: { accessTtl?: string } = {}): Promise<DemoTarget> {
  const keysDir = mkdtempSync(join(tmpdir(), 'authgate-e2e-keys-'))
  t.teardown(() => { rmSync(keysDir, { recursive: true, force: true }) })
  writeKeysDir(keysDir, [generateKey('EdDSA')])
  const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0 })
  t.teardown(() => upstream.close())
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
    tokens: { algorithm: 'EdDSA', keysDir, issuer: 'authgate', audience: 'upstream', accessTtl: options.accessTtl ?? '2s', clockTolerance: '0s', revocationDelay: '1s' },
    cookie: { secure: false, sameSite: 'strict' },
    auth: { registration: true },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }]
  }, { file: 'browser e2e configuration' })
  const app = await buildApp(config, { logger: false, demo: { dir: DEMO_DIR, clientDist: join(CLIENT_DIR, 'dist') } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { origin: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, kind: 'gateway' }
}

/**
 * A bare Fastify app with @authgate/fastify (in-memory store, generated EdDSA key, clock tolerance 0 so a 2-second
 * token really expires after 2 seconds), the demo page, and GET /api/whoami forwarded to the demo upstream.
 */
export async function startPluginDemoApp (t: Test, options: { accessTtl?: string } = {}): Promise<DemoTarget> {
  const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0 })
  t.teardown(() => upstream.close())

  const app = Fastify({ logger: false })
  await app.register(authgate, {
    store: { memory: true },
    tokens: { keys: [generateKey('EdDSA')], issuer: 'authgate-e2e', audience: 'demo', accessTtl: options.accessTtl ?? '2s', clockTolerance: 0, revocationDelay: '1s' }
  })
  serveDemo(app)
  app.get('/api/whoami', { config: { auth: 'required' } }, async (request) => {
    const claims = request.user
    const response = await fetch(`${upstream.url}/whoami`, {
      headers: { 'x-user-id': claims?.sub ?? '', 'x-user-roles': (claims?.roles ?? []).join(','), 'x-session-id': claims?.sid ?? '' }
    })
    return response.json()
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { origin: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, kind: 'plugin-app' }
}

/** Creates a user through POST /auth/register. */
export async function registerUser (origin: string, email: string, password: string): Promise<void> {
  const response = await fetch(`${origin}/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password })
  })
  if (response.status !== 201) throw new Error(`register ${email}: ${response.status} ${await response.text()}`)
}
