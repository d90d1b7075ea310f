// `authgate user revoke-sessions --id SUB --issuer ISS --config FILE` (issue #14 item 1): a trusted issuer's user has
// no sessions; every token of theirs issued until now is refused by the running gateway within revocationDelay,
// through the same revocation list as sessions. Other users of the issuer keep working.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { useTestDatabase } from '@authgate/test-kit/database'
import { settled, startExternalIssuer } from '../../../test/security/lib/external-issuer.js'
import { runCli } from './cli-helpers.js'
import { startUpstream } from './helpers.js'

// Each spawned `authgate` compiles the sources first (tens of seconds on a busy 2-core machine): tap's 120 s default
// is too close for a file that spawns several.
t.setTimeout(300_000)

t.test('user revoke-sessions --issuer ends a trusted issuer\'s user\'s tokens on the running gateway, and only theirs', async (t) => {
  const db = await useTestDatabase(t, 'cli_revoke_subject')
  const upstream = await startUpstream(t)
  const idp = await startExternalIssuer(t, { audience: 'upstream' })
  idp.addKey('RS256')
  const dir = mkdtempSync(join(tmpdir(), 'authgate-revoke-subject-'))
  writeKeysDir(join(dir, 'keys'), [generateKey('EdDSA')])
  const file = join(dir, 'authgate.yaml')
  writeFileSync(file, `store: { mongodb: { url: \${TEST_MONGO_URL}, database: ${db.name} } }\ntokens: { keysDir: ./keys, audience: upstream, revocationDelay: 200ms, trustedIssuers: [{ issuer: "${idp.issuer}", jwksUrl: "${idp.jwksUrl}", audience: upstream }] }\ncookie: { secure: false }\nroutes:\n  - { prefix: /api, upstream: ${upstream.url}, auth: required }\n`)
  const env = { TEST_MONGO_URL: db.url }
  const app = await buildApp(loadConfig(file, { env }), { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const api = async (access: string): Promise<{ status: number }> => ({ status: (await fetch(`${origin}/api/x`, { headers: { authorization: `Bearer ${access}` } })).status })
  const victim = await idp.sign({ sub: 'carol' })
  const other = await idp.sign({ sub: 'dave' })
  t.equal((await settled(() => api(victim))).status, 200)

  const wrong = await runCli(['user', 'revoke-sessions', '--id', 'carol', '--issuer', 'https://not-trusted.example', '--config', file], { env })
  t.equal(wrong.code, 2, 'an issuer that is not trusted is refused')
  t.match(wrong.stderr, /is not one of tokens.trustedIssuers/)
  const noId = await runCli(['user', 'revoke-sessions', '--email', 'carol@example.com', '--issuer', idp.issuer, '--config', file], { env })
  t.equal(noId.code, 2)
  t.match(noId.stderr, /--issuer needs --id SUB/)

  const run = await runCli(['user', 'revoke-sessions', '--id', 'carol', '--issuer', idp.issuer, '--config', file], { env })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /revoked every token of user "carol"/)
  const deadline = Date.now() + 5000
  while ((await api(victim)).status !== 401 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal((await api(victim)).status, 401, 'the external user\'s token is refused within the revocation delay')
  t.equal((await api(other)).status, 200, 'another user of the issuer is untouched')
})
