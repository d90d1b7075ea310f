// tokens.trustedIssuers against a real second issuer (lib/external-issuer.ts: its own keys, a real JWKS endpoint on
// loopback), through the real gateway: its tokens reach the upstream with the identity headers; a key rotation on its
// side costs exactly one JWKS fetch; a flood of invented kids costs at most one; an issuer that is down answers 503
// for its own tokens only, while authgate's tokens and the other issuer's keep working.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { startTarget, ISSUER, AUDIENCE, type AttackTarget } from '../security/lib/target.js'
import { settled, startExternalIssuer, type ExternalIssuer } from '../security/lib/external-issuer.js'
import { generateKey } from '@authgate/fastify/tokens'
import { closedPort } from '@authgate/test-kit/ports'

function gateway (t: Parameters<typeof startTarget>[0], trustedIssuers: Array<Record<string, unknown>>): Promise<AttackTarget> {
  return startTarget(t, { config: { tokens: { keys: [generateKey('EdDSA', 'own-key')], issuer: ISSUER, audience: AUDIENCE, trustedIssuers } } })
}

function entry (issuer: ExternalIssuer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { issuer: issuer.issuer, jwksUrl: issuer.jwksUrl, audience: AUDIENCE, algorithms: ['RS256', 'ES256'], claims: { roles: 'realm_access.roles' }, ...extra }
}

function get (target: AttackTarget, token: string): ReturnType<AttackTarget['request']> {
  return target.request('/api/whoami', { headers: { authorization: `Bearer ${token}` } })
}

/** The first request of an issuer's token: once its start-up JWKS fetch is done (settled polls past the 503). */
function settledGet (target: AttackTarget, token: string): ReturnType<AttackTarget['request']> {
  return settled(() => get(target, token))
}

t.test('a token of a trusted issuer reaches the upstream with its identity; no session id is forwarded', async (t) => {
  const idp = await startExternalIssuer(t)
  idp.addKey('RS256')
  const target = await gateway(t, [entry(idp)])
  const token = await idp.sign({ sub: 'alice@idp', realm_access: { roles: ['admin', 'ops'] }, email: 'alice@example.com' })
  const answer = await settledGet(target, token)
  t.equal(answer.status, 200)
  const seen = target.upstream.seen.at(-1)
  t.equal(seen?.headers['x-user-id'], 'alice@idp')
  t.equal(seen?.headers['x-user-roles'], 'admin,ops')
  t.equal(seen?.headers['x-session-id'], undefined, 'no authgate session: no x-session-id')
  t.type(seen?.headers['x-authgate-assertion'], 'string', 'the assertion is signed for it as for our own tokens')
  const admin = await target.request('/admin/x', { headers: { authorization: `Bearer ${token}` } })
  t.equal(admin.status, 200, 'mapped roles are route roles')
  const noRoles = await idp.sign({ sub: 'bob@idp' })
  t.equal((await target.request('/admin/x', { headers: { authorization: `Bearer ${noRoles}` } })).status, 403)
  t.equal((await get(target, target.token('own-user'))).status, 200, 'our own tokens still verify')
})

t.test('discovery: jwks_uri from the issuer\'s openid-configuration; a document naming another issuer is refused', async (t) => {
  const idp = await startExternalIssuer(t, { path: '/realms/main' })
  idp.addKey('ES256')
  const liar = await startExternalIssuer(t, { discoveryIssuer: 'https://elsewhere.example' })
  liar.addKey('ES256')
  const target = await gateway(t, [
    { issuer: idp.issuer, discovery: true, audience: AUDIENCE, algorithms: ['ES256'] },
    { issuer: liar.issuer, discovery: true, audience: AUDIENCE, algorithms: ['ES256'] }
  ])
  t.equal((await settledGet(target, await idp.sign())).status, 200)
  const refused = await get(target, await liar.sign())
  t.equal(refused.status, 503)
  t.equal(refused.code, 'AUTH_KEYS_UNAVAILABLE')
})

t.test('a key rotation on the issuer\'s side costs one JWKS fetch, then its new tokens pass', async (t) => {
  const idp = await startExternalIssuer(t)
  idp.addKey('RS256')
  const target = await gateway(t, [entry(idp)])
  t.equal((await settledGet(target, await idp.sign())).status, 200)
  const before = idp.jwksHits
  idp.addKey('RS256')
  const rotated = await idp.sign({ sub: 'after-rotation' })
  const first = await get(target, rotated)
  t.equal(first.status, 503, 'the first token of the new key: fetching, retry')
  t.equal(first.headers['retry-after'], '5')
  let status = first.status
  for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 30))
    status = (await get(target, rotated)).status
  }
  t.equal(status, 200, 'accepted once the JWKS was fetched again')
  t.equal(idp.jwksHits - before, 1, 'exactly one refetch')
})

t.test('a flood of unknown kids refetches the JWKS at most once per interval', async (t) => {
  const idp = await startExternalIssuer(t)
  idp.addKey('RS256')
  const target = await gateway(t, [entry(idp)])
  const before = idp.jwksHits
  const answers: number[] = []
  for (let index = 0; index < 40; index++) {
    // Signed by the issuer with keys it never publishes: the kid is unknown every time.
    idp.addKey('ES256', false, `invented-${randomBytes(6).toString('hex')}`)
    answers.push((await get(target, await idp.sign())).status)
  }
  t.ok(idp.jwksHits - before <= 1, `${idp.jwksHits - before} JWKS fetches for 40 unknown kids`)
  t.ok(answers.every((status) => status === 401 || status === 503), 'each refused')
  t.ok(answers.includes(401), 'once fetched, an unknown kid is simply invalid')
})

t.test('an issuer whose keys cannot be had answers 503 for its tokens only', async (t) => {
  const up = await startExternalIssuer(t)
  up.addKey('RS256')
  const down = await startExternalIssuer(t)
  down.addKey('RS256')
  const downToken = await down.sign()
  await down.stop()
  const port = await closedPort()
  const target = await gateway(t, [entry(up, { refreshInterval: '1s' }), entry(down), { issuer: 'https://never.example', jwksUrl: `http://127.0.0.1:${port}/jwks`, audience: AUDIENCE }])
  const refused = await get(target, downToken)
  t.equal(refused.status, 503)
  t.equal(refused.code, 'AUTH_KEYS_UNAVAILABLE')
  t.equal((await settledGet(target, await up.sign())).status, 200, 'the other issuer still works')
  t.equal((await get(target, target.token('own-user'))).status, 200, 'our own tokens still work')

  // The live issuer goes down: its last good keys serve for three refresh intervals, then its tokens answer 503.
  const late = await up.sign({ sub: 'late' })
  up.mode = 'error'
  let status = 200
  for (let attempt = 0; attempt < 100 && status === 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    status = (await get(target, late)).status
  }
  t.equal(status, 503, 'stale keys are no longer trusted')
  t.equal((await get(target, target.token('own-user'))).status, 200, 'our own tokens are unaffected')
  up.mode = 'normal'
})

t.test('claim headers from an external token: headers.claims and the oauth2-proxy preset forward its verified claims', async (t) => {
  const idp = await startExternalIssuer(t)
  idp.addKey('RS256')
  const target = await startTarget(t, {
    config: {
      tokens: { keys: [generateKey('EdDSA', 'own-key')], issuer: ISSUER, audience: AUDIENCE, trustedIssuers: [entry(idp, { claims: { roles: 'groups' } })] },
      headers: { preset: 'oauth2-proxy', claims: { 'x-tenant': 'org_id', 'x-user-email': 'email', 'x-big': 'big', 'x-nested': 'nested', 'x-sid-claim': 'sid' } }
    }
  })
  const token = await idp.sign({
    sub: 'alice@idp',
    email: 'alice@example.com',
    preferred_username: 'alice',
    org_id: 'acme',
    groups: ['eng', 'ops'],
    sid: 'someone-elses-session',
    big: 'x'.repeat(5000),
    nested: { org: 'acme' }
  })
  const answer = await settled(() => target.request('/api/whoami', {
    headers: { authorization: `Bearer ${token}`, 'x-tenant': 'forged', 'x-auth-request-preferred-username': 'forged' }
  }))
  t.equal(answer.status, 200)
  const seen = target.upstream.seen.at(-1)?.headers ?? {}
  t.equal(seen['x-tenant'], 'acme', 'headers.claims: org_id')
  t.equal(seen['x-user-email'], 'alice@example.com')
  t.equal(seen['x-auth-request-user'], 'alice@idp', 'preset: user')
  t.equal(seen['x-auth-request-email'], 'alice@example.com', 'preset: email')
  t.equal(seen['x-auth-request-groups'], 'eng,ops', 'preset: groups (the mapped roles)')
  t.equal(seen['x-auth-request-preferred-username'], 'alice', 'preset: preferred_username')
  t.equal(seen['x-big'], undefined, 'a claim past the size bound is not kept')
  t.equal(seen['x-nested'], undefined, 'an object claim is not kept')
  t.equal(seen['x-sid-claim'], undefined, 'a token\'s own `sid` claim is never taken as a session')
  t.equal(seen['x-session-id'], undefined, 'and no session id is forwarded')
  const other = await idp.sign({ sub: 'bob@idp' })
  t.equal((await get(target, other)).status, 200)
  const bob = target.upstream.seen.at(-1)?.headers ?? {}
  t.same([bob['x-tenant'], bob['x-auth-request-preferred-username']], [undefined, undefined], 'claims a token lacks: no header, the client\'s copies dropped')
})
