// The packages as a user installs them (issue #13): `pnpm pack` each one, `npm install` the tarballs into empty
// folders outside the workspace (dependencies from the registry): the plugin's README line with the client's in one,
// without the drivers (mongodb, ioredis, nodemailer) or anything else of the gateway's; the gateway's in another. Then run each
// README's Install example:
// (a) the plugin's app as JavaScript, logging in and calling its protected route; (b) the same text through
// `tsc --noEmit`, with `request.user` typed; (c) `npx authgate start` serving the embedded demo and `/demo/`;
// (d) the client's example against the app of (a). Then what the tarballs hold (LICENSE, manifest, source maps) and
// `publint --strict` and `attw` on each. Needs `pnpm build` output (.ci/run builds before it runs the tests).
import t from 'tap'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { npmInstall, packAll } from './install.js'
import { installBlock, npmInstallPackages } from './readme-install.js'
import { onExit, run, startServer, userEnv, type Server } from './processes.js'

// npm installs from the registry: minutes on a cold cache, well under that on a warm one.
t.setTimeout(600_000)
const INSTALL_TIMEOUT_MS = 300_000

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGE_DIRS = { '@authgate/fastify': 'packages/auth', '@authgate/gateway': 'apps/gateway', '@authgate/client': 'packages/client' } as const
type PackageName = keyof typeof PACKAGE_DIRS
const NAMES = Object.keys(PACKAGE_DIRS) as PackageName[]
const readmeOf = (name: PackageName): string => join(ROOT, PACKAGE_DIRS[name], 'README.md')
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }

const work = mkdtempSync(join(tmpdir(), 'authgate-packaging-'))
t.teardown(() => { rmSync(work, { recursive: true, force: true }) })
// Also when the run is cut short (a timeout, an uncaught error) and the teardowns do not run.
onExit(() => { rmSync(work, { recursive: true, force: true }) })
// Two folders, as two users would have them: the plugin's (with the client, for (d)) must work without what the
// gateway depends on (mongodb, ioredis, prom-client...), which one shared node_modules would hoist beside it.
const pluginApp = join(work, 'plugin-app')
const gatewayApp = join(work, 'gateway-app')
/** Where each package is installed. */
const FOLDER_OF: Record<PackageName, string> = { '@authgate/fastify': pluginApp, '@authgate/client': pluginApp, '@authgate/gateway': gatewayApp }
const timings: Record<string, number> = {}

/** Packs, then npm installs (both folders at once) what the READMEs' `npm install` lines name (tarballs for ours). */
async function setUp (): Promise<Map<string, string>> {
  const packed = await packAll(NAMES.map((name) => join(ROOT, PACKAGE_DIRS[name])), join(work, 'tarballs'), 'pnpm')
  timings.pack = packed.ms
  const specsOf = (names: PackageName[]): string[] => [...new Set(names.flatMap((name) => npmInstallPackages(installBlock(readmeOf(name), 'sh'))))]
    .map((spec) => packed.tarballs.get(spec) ?? spec)
  // For (b): the compiler and Node's types, at the versions the workspace uses.
  const pluginSpecs = [...specsOf(['@authgate/fastify', '@authgate/client']),
    `typescript@${rootManifest.devDependencies.typescript!}`, `@types/node@${rootManifest.devDependencies['@types/node']!}`]
  const started = Date.now()
  const [plugin, gateway] = await Promise.all([
    npmInstall(pluginApp, pluginSpecs, 'npm', INSTALL_TIMEOUT_MS),
    // The gateway's own @authgate/* dependencies are not on the registry yet: their tarballs stand in for it.
    npmInstall(gatewayApp, [...specsOf(['@authgate/gateway']), packed.tarballs.get('@authgate/fastify')!, packed.tarballs.get('@authgate/client')!], 'npm', INSTALL_TIMEOUT_MS)
  ])
  timings.install = Date.now() - started
  timings.installPlugin = plugin
  timings.installGateway = gateway
  return packed.tarballs
}
const ready = setUp()
// Each case awaits it; a failed set-up fails them all, with its message.
ready.catch(() => undefined)

const installed = (name: PackageName): string => join(FOLDER_OF[name], 'node_modules', name)

t.test('the install: every package from its tarball, no workspace-only dependency, nothing fetched for our own names', async (t) => {
  const tarballs = await ready
  t.equal(tarballs.size, 3)
  for (const name of NAMES) t.ok(existsSync(join(installed(name), 'package.json')), `${name} installed`)
  // The plugin's folder has what its README line brings, nothing of the gateway's: (a), (b) and (d) run without the
  // drivers, and fail if the plugin imports a package it does not declare.
  for (const absent of ['mongodb', 'ioredis', 'nodemailer', '@authgate/gateway']) {
    t.notOk(existsSync(join(pluginApp, 'node_modules', absent)), `no ${absent} in the plugin's folder`)
  }
  // The gateway's own @authgate/* dependencies are the tarballs above, not another copy (from the registry).
  t.notOk(existsSync(join(installed('@authgate/gateway'), 'node_modules', '@authgate')), 'no nested @authgate packages under the gateway')
})

let pluginUrl: string | undefined
let pluginServer: Server | undefined
t.teardown(async () => { await pluginServer?.stop() })

t.test('(a) the plugin README example as JavaScript: log in, then the protected route with the Bearer token', async (t) => {
  await ready
  const example = installBlock(readmeOf('@authgate/fastify'), 'js')
  writeFileSync(join(pluginApp, 'plugin-app.mjs'), example)
  const started = Date.now()
  pluginServer = startServer(process.execPath, ['plugin-app.mjs'], pluginApp, userEnv({ PORT: '0' }))
  const [, url] = await pluginServer.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/, 30_000)
  timings.pluginStart = Date.now() - started
  pluginUrl = url
  const { email, password } = credentials(example)
  const login = await fetch(`${url!}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  t.equal(login.status, 200, 'the user the example adds logs in')
  const { accessToken, user } = await login.json() as { accessToken: string, user: { id: string } }
  const profile = await fetch(`${url!}/api/profile`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(profile.status, 200)
  t.same(await profile.json(), { user: user.id })
  t.equal((await fetch(`${url!}/api/profile`)).status, 401, 'and without the token: 401')
})

t.test('(d) the client README example in Node, against the app of (a)', async (t) => {
  await ready
  if (pluginUrl === undefined) throw new Error('the app of (a) did not start')
  writeFileSync(join(pluginApp, 'client-example.mjs'), installBlock(readmeOf('@authgate/client'), 'js'))
  const { stdout, ms } = await run(process.execPath, ['client-example.mjs'], pluginApp, 30_000, userEnv({ API_URL: pluginUrl }))
  timings.client = ms
  t.match(stdout, /^200 \{ user: '[\w-]+' \}/, 'logged in, and the protected route answered through auth.fetch')
  await pluginServer?.stop()
  pluginServer = undefined
})

t.test('(b) the same example as TypeScript: tsc --noEmit, request.user typed by the module augmentation', async (t) => {
  await ready
  writeFileSync(join(pluginApp, 'plugin-app.ts'), installBlock(readmeOf('@authgate/fastify'), 'js'))
  // Not in the README: an unused @ts-expect-error is itself an error, so this fails if request.user were `any`.
  writeFileSync(join(pluginApp, 'typed-user.ts'), [
    "import Fastify from 'fastify'",
    "import '@authgate/fastify'",
    'const app = Fastify()',
    "app.get('/', async (request) => {",
    '  const sub: string | undefined = request.user?.sub',
    '  const roles: string[] | undefined = request.user?.roles',
    '  // @ts-expect-error: not a claim the plugin declares',
    '  const other: string | undefined = request.user?.notAClaim',
    '  return { sub, roles, other }',
    '})',
    ''
  ].join('\n'))
  writeFileSync(join(pluginApp, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    files: ['plugin-app.ts', 'typed-user.ts']
  }, null, 2))
  const { ms } = await run(process.execPath, [join(pluginApp, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], pluginApp, 120_000)
  timings.tsc = ms
  t.pass('tsc --noEmit found no error')
})

t.test('(c) npx authgate start: the embedded demo from the installed gateway, /demo/ answers 200', async (t) => {
  await ready
  const line = installBlock(readmeOf('@authgate/gateway'), 'sh').split('\n').find((candidate) => candidate.startsWith('npx authgate start'))
  if (line === undefined) throw new Error('the gateway README\'s Install block has no `npx authgate start` line')
  const [command, ...args] = line.trim().split(/\s+/)
  const started = Date.now()
  // --port 0: a free port, never the 8080 of a developer's machine.
  const gateway = startServer(command!, [...args, '--port', '0'], gatewayApp, userEnv())
  t.teardown(() => gateway.stop())
  const [, url] = await gateway.waitFor(/authgate is running at (http:\/\/127\.0\.0\.1:\d+)/, 60_000)
  await gateway.waitFor(/demo page: /, 5_000)
  timings.gatewayStart = Date.now() - started
  const page = await fetch(`${url!}/demo/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /text\/html/)
  t.match(await page.text(), /<title>authgate demo<\/title>/)
  const client = await fetch(`${url!}/demo/client.js`)
  t.equal(client.status, 200, 'the client build the page loads comes with it')
  t.match(await client.text(), /export/)
  const email = /demo user: (\S+)/.exec(gateway.output())?.[1]
  const password = /password: +(\S+)/.exec(gateway.output())?.[1]
  const login = await fetch(`${url!}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  t.equal(login.status, 200)
  const { accessToken } = await login.json() as { accessToken: string }
  const whoami = await fetch(`${url!}/api/whoami`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(whoami.status, 200, 'the demo upstream answers through the gateway')
  await gateway.stop()
  await t.rejects(fetch(`${url!}/healthz`), 'stopped: nothing listens any more')
})

t.test('the tarballs: LICENSE, a publishable manifest, source maps that resolve', async (t) => {
  await ready
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8')
  t.match(license, /^MIT License\n\nCopyright \(c\) 2026 the authgate authors\n/)
  for (const name of NAMES) {
    const dir = installed(name)
    t.equal(readFileSync(join(dir, 'LICENSE'), 'utf8'), license, `${name}: the root LICENSE`)
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
    t.notOk(manifest.private, `${name}: not private`)
    t.match(manifest, { license: 'MIT', type: 'module', engines: { node: />=20/ }, repository: { url: String }, description: String, keywords: Array }, `${name}: metadata`)
    const exports = manifest.exports as Record<string, unknown>
    for (const [entry, target] of Object.entries(exports)) {
      if (typeof target !== 'object' || target === null) continue
      t.equal(Object.keys(target)[0], 'types', `${name} ${entry}: types first`)
      t.notOk('authgate-source' in target, `${name} ${entry}: no workspace-only condition`)
    }
    t.notMatch(JSON.stringify(manifest), /workspace:/, `${name}: no workspace: ranges`)
    // publishConfig.exports is what ships: the workspace's exports less the source condition, no entry forgotten.
    t.same(exports, withoutSourceCondition(workspaceManifest(name).exports), `${name}: the workspace's entries, all of them`)
    const { maps, sources } = mapSources(join(dir, 'dist'))
    t.ok(maps > 0, `${name}: ships source maps (${maps})`)
    t.same(sources.filter((source) => !existsSync(source)), [], `${name}: every source map's sources are in the package`)
  }
  const plugin = JSON.parse(readFileSync(join(installed('@authgate/fastify'), 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>
  t.notOk(plugin.dependencies?.mongodb ?? plugin.dependencies?.ioredis ?? plugin.dependencies?.nodemailer, 'the drivers are not dependencies of the plugin')
  t.match(plugin, { peerDependencies: { fastify: String, mongodb: String, ioredis: String, nodemailer: String }, peerDependenciesMeta: { mongodb: { optional: true }, ioredis: { optional: true }, nodemailer: { optional: true } } })
  t.notOk(plugin.peerDependenciesMeta?.fastify, 'fastify is a required peer')
})

t.test('publint --strict and attw (ESM-only profile) on every tarball', async (t) => {
  const tarballs = await ready
  const require = createRequire(join(ROOT, 'package.json'))
  const { publint } = await import('publint')
  const { formatMessage } = await import('publint/utils')
  const attwPackage = require.resolve('@arethetypeswrong/cli/package.json')
  const attwBin = resolve(dirname(attwPackage), (JSON.parse(readFileSync(attwPackage, 'utf8')) as { bin: Record<string, string> }).bin.attw!)
  const started = Date.now()
  for (const name of NAMES) {
    const tarball = tarballs.get(name)!
    const bytes = readFileSync(tarball)
    // strict: warnings count as errors, as `publint --strict` has them; suggestions are printed, not failed.
    const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, strict: true, level: 'suggestion' })
    const text = (message: (typeof messages)[number]): string => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`
    for (const message of messages.filter((candidate) => candidate.type === 'suggestion')) t.comment(`${name}: publint ${text(message)}`)
    t.same(messages.filter((message) => message.type !== 'suggestion').map(text), [], `${name}: publint --strict finds no error or warning`)
    // ESM-only: the profile leaves out the CommonJS resolutions (node10, node16 from require), which an ESM-only
    // package fails by design; every ESM resolution (node16 import, bundler) must find the types.
    // attw exits non-zero on any problem (run() then rejects with its report).
    await run(process.execPath, [attwBin, tarball, '--profile', 'esm-only', '--no-color'], work, 120_000)
    t.pass(`${name}: attw found no problem`)
  }
  timings.lint = Date.now() - started
})

t.test('timings', async (t) => {
  await ready.catch(() => undefined)
  t.comment(`packaging check timings (ms): ${JSON.stringify(timings)}`)
  t.pass()
})

function workspaceManifest (name: PackageName): { exports: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(ROOT, PACKAGE_DIRS[name], 'package.json'), 'utf8')) as { exports: Record<string, unknown> }
}

function withoutSourceCondition (exports: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(exports).map(([entry, target]) => [entry, typeof target === 'object' && target !== null
    ? Object.fromEntries(Object.entries(target).filter(([condition]) => condition !== 'authgate-source'))
    : target]))
}

/** The email and password the plugin example's addUser call creates. */
function credentials (example: string): { email: string, password: string } {
  const match = /addUser\(store, \{ email: '([^']+)', password: '([^']+)' \}\)/.exec(example)
  if (match === null) throw new Error('the plugin README example adds no user with addUser(store, { email, password })')
  return { email: match[1]!, password: match[2]! }
}

/** How many `.map` files are under `dir`, and every file they name as a source, as absolute paths. */
function mapSources (dir: string): { maps: number, sources: string[] } {
  const found = { maps: 0, sources: [] as string[] }
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) {
      const inner = mapSources(path)
      found.maps += inner.maps
      found.sources.push(...inner.sources)
    } else if (entry.endsWith('.map')) {
      const map = JSON.parse(readFileSync(path, 'utf8')) as { sources: string[], sourceRoot?: string }
      found.maps++
      for (const source of map.sources) found.sources.push(resolve(dirname(path), map.sourceRoot ?? '', source))
    }
  }
  return found
}
