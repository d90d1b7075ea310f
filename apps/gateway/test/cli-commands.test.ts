// The CLI commands in-process (main(argv), output captured): exit codes 0/1/2, `config check`, `keygen` rotation,
// `token` options, `doctor --offline`, help texts. cli.test.ts runs the real command in child processes.
import t from 'tap'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAccessTokenService, loadKeysDir } from '@authgate/fastify/tokens'
import { runMain } from './cli-helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'authgate-cli-'))

const run = runMain

function writeConfig (name: string, config: Record<string, unknown>): string {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(config))
  return path
}

const keys = join(dir, 'keys')

t.test('keygen writes a 0600 key set; a second run rotates and keeps the old key for verification', async (t) => {
  const first = await run('keygen', '--out', keys)
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /wrote EdDSA key \S+ to .*\(signing key\)/)
  const manifest = JSON.parse(readFileSync(join(keys, 'keys.json'), 'utf8')) as { signing: string, keys: Array<{ kid: string, privateKey: string }> }
  t.equal(manifest.keys.length, 1)
  t.equal(statSync(join(keys, manifest.keys[0]!.privateKey)).mode & 0o777, 0o600)
  const second = await run('keygen', '--out', keys, '--alg', 'EdDSA')
  t.equal(second.code, 0)
  t.match(second.stdout, /1 earlier key\(s\) kept/)
  const rotated = JSON.parse(readFileSync(join(keys, 'keys.json'), 'utf8')) as { signing: string, keys: unknown[] }
  t.equal(rotated.keys.length, 2)
  t.not(rotated.signing, manifest.signing)
  const hs = await run('keygen', '--alg', 'HS256', '--out', join(dir, 'hs'))
  t.equal(hs.code, 0)
  t.equal(loadKeysDir(join(dir, 'hs'))[0]?.algorithm, 'HS256')
  t.equal((await run('keygen', '--alg', 'none', '--out', keys)).code, 2)
  t.equal((await run('keygen', 'extra')).code, 2)
})

t.test('config check: 0 valid, 1 invalid (file and key named), 2 bad usage', async (t) => {
  const good = writeConfig('good.json', { tokens: { keysDir: keys }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] })
  const ok = await run('config', 'check', good)
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /ok \(1 route, 2 keys, store: in-memory\)/)
  const unknown = writeConfig('unknown.json', { tokens: { keysDir: keys }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1', timout: '1s' }] })
  const bad = await run('config', 'check', unknown)
  t.equal(bad.code, 1)
  t.match(bad.stderr, `${unknown}: invalid configuration (1 problem):\n  - routes[0].timout: unknown key (did you mean timeout?)`)
  const env = writeConfig('env.json', { store: { mongodb: { url: '${AUTHGATE_TEST_UNSET_VAR}' } }, tokens: { keysDir: keys }, routes: [] })
  const missing = await run('config', 'check', env)
  t.equal(missing.code, 1)
  t.match(missing.stderr, 'environment variable AUTHGATE_TEST_UNSET_VAR is not set')
  const noKeys = await run('config', 'check', writeConfig('nokeys.json', { tokens: { keysDir: join(dir, 'absent') }, routes: [] }))
  t.equal(noKeys.code, 1)
  t.match(noKeys.stderr, /tokens\.keysDir/)
  const flagged = await run('config', 'check', '--config', good)
  t.equal(flagged.code, 0, `--config FILE, as on the other verbs: ${flagged.stderr}`)
  t.match(flagged.stdout, /ok \(1 route, 2 keys, store: in-memory\)/)
  t.equal((await run('config', 'check')).code, 2)
  t.equal((await run('config', 'frobnicate', good)).code, 2)
  t.equal((await run('config', 'check', good, 'extra')).code, 2)
})

t.test('token: prints just a verifiable token; usage errors 2, an over-long ttl 1', async (t) => {
  const file = writeConfig('token.json', { tokens: { keysDir: keys, issuer: 'iss-x', audience: 'aud-x', maxTtl: '1h' }, routes: [] })
  const minted = await run('token', '--config', file, '--sub', 'u42', '--roles', 'admin,ops', '--ttl', '1h')
  t.equal(minted.code, 0, minted.stderr)
  const token = minted.stdout.trim()
  t.equal(minted.stdout, `${token}\n`, 'stdout is the token and a newline')
  const verifier = createAccessTokenService({ algorithm: 'EdDSA', keys: loadKeysDir(keys), issuer: 'iss-x', audience: 'aud-x', accessTtl: 900, clockTolerance: 0, maxTtl: 3600 })
  const outcome = verifier.verify(token)
  t.ok(outcome.ok)
  if (outcome.ok) {
    t.match(outcome.claims, { sub: 'u42', roles: ['admin', 'ops'], iss: 'iss-x', aud: 'aud-x' })
    t.equal(outcome.claims.exp - outcome.claims.iat, 3600)
  }
  t.equal((await run('token', '--config', file)).code, 2, '--sub missing')
  t.equal((await run('token', '--sub', 'u1')).code, 2, '--config missing')
  t.equal((await run('token', '--config', file, '--sub', 'u1', '--frob')).code, 2, 'unknown option')
  t.equal((await run('token', '--config', file, '--sub', 'u1', '--ttl', 'soon')).code, 2, 'bad ttl')
  t.equal((await run('token', '--config', file, '--sub')).code, 2, 'flag without value')
  const long = await run('token', '--config', file, '--sub', 'u1', '--ttl', '2h')
  t.equal(long.code, 1)
  t.match(long.stderr, /tokens\.maxTtl/)
  t.equal((await run('token', '--config', join(dir, 'missing.json'), '--sub', 'u1')).code, 1)
})

t.test('doctor --offline audits the settings; a file start refuses exits 1, warnings are config check\'s', async (t) => {
  const safe = writeConfig('safe.json', { tokens: { keysDir: keys }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] })
  const good = await run('doctor', '--config', safe, '--offline')
  t.equal(good.code, 0, good.stdout)
  t.match(good.stdout, /WARNING no store\.mongodb/)
  const risky = writeConfig('risky.json', {
    server: { host: '0.0.0.0', trustProxy: true },
    cookie: { secure: false },
    auth: { allowedOrigins: ['*'] },
    tokens: { keysDir: keys },
    routes: [{ prefix: '/', upstream: 'http://10.0.0.5:80', auth: 'none', forwardAuthorization: true }]
  })
  const bad = await run('doctor', '--config', risky, '--offline')
  t.equal(bad.code, 1)
  t.match(bad.stdout, /PROBLEM authgate start refuses this file: [\s\S]*allowedOrigins\[0\]: must be an origin/)
  t.match(bad.stdout, /WARNING cookie\.secure is false.*server\.host 0\.0\.0\.0 is reachable/)
  t.match(bad.stdout, /WARNING server\.trustProxy is true/)
  t.match(bad.stdout, /WARNING route \/: forwardAuthorization/)
})

t.test('help and unknown commands', async (t) => {
  const help = await run('--help')
  t.equal(help.code, 0)
  for (const command of ['start', 'keygen', 'token', 'user add', 'config check', 'doctor']) t.match(help.stdout, command)
  for (const command of ['start', 'keygen', 'token', 'user', 'config', 'doctor']) {
    const each = await run(command, '--help')
    t.equal(each.code, 0, command)
    t.match(each.stdout, `Usage: authgate ${command}`)
  }
  t.equal((await run()).code, 2)
  t.equal((await run('nonsense')).code, 2)
  t.equal((await run('user', 'remove', '--email', 'a@b.c')).code, 2)
})
