// `authgate user revoke-sessions --issuer` without --config (own file: each CLI run costs seconds on a loaded machine
// and cli-revoke-subject.test.ts is near tap's timeout). Only the configuration's tokens.trustedIssuers can tell a
// trusted issuer from a typo, which would revoke nobody and report success: a usage error, before any store is used.
import t from 'tap'
import { runCli } from './cli-helpers.js'

// Each spawned `authgate` compiles the sources first (tens of seconds on a busy 2-core machine): tap's 120 s default
// is too close for a file that spawns several.
t.setTimeout(300_000)

t.test('user revoke-sessions --issuer needs --config, even with MONGODB_URL set', async (t) => {
  // Port 1 on loopback: nothing listens, and the command must not get as far as trying.
  const run = await runCli(['user', 'revoke-sessions', '--id', 'carol', '--issuer', 'https://typo.example'], { env: { MONGODB_URL: 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500' } })
  t.equal(run.code, 2, 'a usage error')
  t.match(run.stderr, /--config FILE is required with --issuer \(its tokens\.trustedIssuers\)/)
  t.match(run.stderr, /\n\nUsage: authgate user revoke-sessions/, 'with the sub-verb\'s usage')
  t.notMatch(run.stderr, /authgate user add/, 'not the group\'s')
  t.notMatch(run.stdout, /revoked/)
})
