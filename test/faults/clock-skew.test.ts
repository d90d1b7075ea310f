// docs/design.md#failure-behaviour, "clock skew" (and docs/security.md A.14–A.15 at the app level): access tokens
// minted by an instance whose clock is ahead of or behind the verifying instance's are accepted while the skew is
// within `clockTolerance`, refused beyond it: a token "from the future" (iat ahead) with 401 AUTH_TOKEN_INVALID, a
// token past its exp with 401 AUTH_TOKEN_EXPIRED. Tokens are minted two ways with the shared key: by another app's own
// token service with its clock shifted, and by hand (jose) with a shifted iat/exp for the exact boundaries.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { importPKCS8, SignJWT } from 'jose'
import { useTestDatabase } from '@authgate/test-kit/database'
import { AUDIENCE, call, ISSUER, sharedKeys, sleep, startApp, type RunningApp, type Teardown } from './helpers/app.js'

const { url, name: database } = await useTestDatabase(t, 'skew')
const TTL = 900 // seconds: the exp arithmetic below is in seconds; the option is given as `900s`

async function verifier (t: Teardown, clockTolerance: string): Promise<RunningApp> {
  return startApp(t, { url, database, options: { tokens: { clockTolerance, accessTtl: `${TTL}s` } } })
}

/** A token signed with the shared key, as an issuer whose clock reads `skewSeconds` off ours, `ageSeconds` after it minted it. */
async function minted (skewSeconds: number, ageSeconds = 0): Promise<string> {
  const key = sharedKeys()[0]!
  if (typeof key.privateKey !== 'string') throw new Error('generateKey gives PEM strings')
  const privateKey = await importPKCS8(key.privateKey, 'EdDSA')
  const iat = Math.floor(Date.now() / 1000) + skewSeconds - ageSeconds
  return new SignJWT({ sub: 'u-skew', sid: `s-${randomBytes(6).toString('hex')}`, roles: ['user'], jti: randomBytes(12).toString('base64url') })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })
    .setIssuedAt(iat)
    .setExpirationTime(iat + TTL)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .sign(privateKey)
}

/** Runs `fn` with Date.now shifted, as on a machine whose clock is `skewMs` off (only for synchronous signing). */
function withClock<T> (skewMs: number, fn: () => T): T {
  const real = Date.now
  Date.now = () => real() + skewMs
  try {
    return fn()
  } finally {
    Date.now = real
  }
}

async function outcome (app: RunningApp, token: string): Promise<string> {
  const answer = await call(app.base, '/private', { bearer: token })
  return answer.status === 200 ? '200' : `${answer.status} ${answer.body?.code}`
}

t.test('tolerance 30 s: another instance 20 s ahead or behind is fine, 60 s off is refused', async (t) => {
  const issuer = await verifier(t, '30s')
  const app = await verifier(t, '30s')
  const sign = (skewMs: number): string => withClock(skewMs, () => issuer.app.authgate.tokens.sign({ sub: 'u-skew', sid: 's-skew', roles: ['user'] }).token)

  t.equal(await outcome(app, sign(20_000)), '200', 'minted by an instance 20 s ahead: accepted')
  t.equal(await outcome(app, sign(-20_000)), '200', 'minted by an instance 20 s behind: accepted')
  t.equal(await outcome(app, sign(60_000)), '401 AUTH_TOKEN_INVALID', 'minted by an instance 60 s ahead: iat in the future, refused')
  // A token minted 60 s behind is simply 60 s older: refused only at its end of life (below).
  t.equal(await outcome(app, sign(-60_000)), '200', 'minted by an instance 60 s behind, fresh: accepted (it only lives shorter)')
  t.equal(await outcome(app, sign(-(TTL + 20) * 1000)), '200', 'from an instance 20 s behind, at its end of life: expired 20 s ago by our clock, within tolerance')
  t.equal(await outcome(app, sign(-(TTL + 60) * 1000)), '401 AUTH_TOKEN_EXPIRED', 'expired 60 s ago by our clock: refused as expired')
})

t.test('the exact edges: iat and exp within tolerance ± 3 s', async (t) => {
  const app = await verifier(t, '30s')
  t.equal(await outcome(app, await minted(27)), '200', 'iat 27 s ahead: accepted')
  t.equal(await outcome(app, await minted(33)), '401 AUTH_TOKEN_INVALID', 'iat 33 s ahead: refused')
  t.equal(await outcome(app, await minted(0, TTL + 27)), '200', 'exp 27 s ago: accepted')
  t.equal(await outcome(app, await minted(0, TTL + 33)), '401 AUTH_TOKEN_EXPIRED', 'exp 33 s ago: refused as expired')
})

t.test('a refusal is not cached: a token 32 s ahead is accepted once the clocks agree within tolerance', async (t) => {
  const app = await verifier(t, '30s')
  const token = await minted(32)
  t.equal(await outcome(app, token), '401 AUTH_TOKEN_INVALID', 'refused while 32 s ahead')
  let last = ''
  const started = Date.now()
  while (Date.now() - started < 6000) {
    last = await outcome(app, token)
    if (last === '200') break
    await sleep(250)
  }
  t.equal(last, '200', `accepted within seconds, once its iat is within 30 s (${Date.now() - started} ms)`)
})

t.test('the tolerance option is honoured: 0 s refuses any skew, 120 s accepts 100 s', async (t) => {
  const strict = await verifier(t, '0s')
  t.equal(await outcome(strict, await minted(5)), '401 AUTH_TOKEN_INVALID', 'tolerance 0: 5 s ahead refused')
  t.equal(await outcome(strict, await minted(0, TTL + 5)), '401 AUTH_TOKEN_EXPIRED', 'tolerance 0: expired 5 s ago refused')
  t.equal(await outcome(strict, await minted(0)), '200', 'tolerance 0: a token of our own clock is fine')
  const loose = await verifier(t, '120s')
  t.equal(await outcome(loose, await minted(100)), '200', 'tolerance 120 s: 100 s ahead accepted')
  t.equal(await outcome(loose, await minted(0, TTL + 100)), '200', 'tolerance 120 s: expired 100 s ago accepted')
  t.equal(await outcome(loose, await minted(140)), '401 AUTH_TOKEN_INVALID', 'tolerance 120 s: 140 s ahead refused')
  t.equal(await outcome(loose, await minted(0, TTL + 140)), '401 AUTH_TOKEN_EXPIRED', 'tolerance 120 s: expired 140 s ago refused')
})
