// docs/security.md section A, trusted external issuers (tokens.trustedIssuers, issue #14): tokens of real second
// issuers (lib/external-issuer.ts: own keys, a JWKS on loopback) sent to a gateway that trusts two of them, in front
// of the catalogue's recording upstream. RFC 8725 applies per issuer: its keys, its algorithms, its audience only.
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { generateKey } from '@authgate/fastify/tokens'
import type { AttackCase, Expectation, Outcome } from '../lib/case.js'
import { AUDIENCE, ISSUER, type AttackTarget } from '../lib/target.js'
import { routesTo } from '../lib/siblings.js'
import { forge, hmac, nowSeconds } from '../lib/forge.js'
import { settled, startExternalIssuer, type ExternalIssuer } from '../lib/external-issuer.js'
import { sidOf } from '../lib/websocket-session.js'

const INVALID: Expectation = { status: 401, code: 'AUTH_TOKEN_INVALID', upstream: 'untouched' }
const UNAVAILABLE: Expectation = { status: 503, code: 'AUTH_KEYS_UNAVAILABLE', upstream: 'untouched' }

interface ExternalSetup {
  gateway: AttackTarget
  /** Trusted; RS256 only. Its issuer URL is a prefix of `b`'s. */
  a: ExternalIssuer
  aKid: string
  /** Trusted; RS256 and ES256; issuer `a.issuer + '-b'`, its own audience. */
  b: ExternalIssuer
  bKid: string
  /** Trusted, but its JWKS never ends (a huge answer). */
  huge: ExternalIssuer
  /** Trusted, but its JWKS never answers. */
  silent: ExternalIssuer
}

const setups = new WeakMap<AttackTarget, Promise<ExternalSetup>>()

function setup (target: AttackTarget): Promise<ExternalSetup> {
  let started = setups.get(target)
  if (started === undefined) {
    started = (async () => {
      const teardown = { teardown: target.teardown }
      const a = await startExternalIssuer(teardown, { path: '/realms/main' })
      const aKid = a.addKey('RS256')
      const b = await startExternalIssuer(teardown, { path: '/realms/main-b', audience: 'other-api' })
      const bKid = b.addKey('RS256')
      const huge = await startExternalIssuer(teardown)
      huge.addKey('RS256')
      huge.mode = 'huge'
      const silent = await startExternalIssuer(teardown)
      silent.addKey('RS256')
      silent.mode = 'silent'
      const trusted = [
        { issuer: a.issuer, jwksUrl: a.jwksUrl, audience: AUDIENCE, algorithms: ['RS256'], claims: { roles: 'groups' } },
        { issuer: b.issuer, jwksUrl: b.jwksUrl, audience: 'other-api', algorithms: ['RS256', 'ES256'] },
        { issuer: huge.issuer, jwksUrl: huge.jwksUrl, audience: AUDIENCE },
        { issuer: silent.issuer, jwksUrl: silent.jwksUrl, audience: AUDIENCE }
      ]
      const gateway = await target.fresh({
        config: {
          tokens: { keys: [generateKey('EdDSA', 'security-external')], issuer: ISSUER, audience: AUDIENCE, trustedIssuers: trusted },
          routes: routesTo(target.upstream.url)
        }
      })
      return { gateway, a, aKid, b, bKid, huge, silent }
    })()
    setups.set(target, started)
  }
  return started
}

function bearer (gateway: AttackTarget, token: string, path = '/api/whoami', method = 'GET'): Promise<Outcome> {
  return gateway.request(path, { method, headers: { authorization: `Bearer ${token}` } })
}

/** Asserts `token` answers 200 on `/auth/me` (no upstream involved), past the start-up JWKS 503. */
async function accepted (gateway: AttackTarget, token: string, what: string): Promise<void> {
  const answer = await settled(() => bearer(gateway, token, '/auth/me'))
  if (answer.status !== 200) throw new Error(`${what} answered ${answer.status}`)
}

let users = 0

/** Sends each token; the first answer that is not `expected` is returned, else the last (so every spelling is asserted). */
async function each (gateway: AttackTarget, tokens: readonly string[], expected: number): Promise<Outcome> {
  let last: Outcome | undefined
  for (const token of tokens) {
    last = await bearer(gateway, token)
    if (last.status !== expected) return last
  }
  if (last === undefined) throw new Error('no token sent')
  return last
}

export const trustedIssuerCases: AttackCase[] = [
  {
    id: 'A.23',
    name: 'trusted issuer: a token of issuer A signed with issuer B\'s key and carrying B\'s `kid`',
    expect: INVALID,
    also: 'after the one refetch its unknown kid causes; each issuer\'s tokens verify only against its own JWKS',
    attack: async (target) => {
      const { gateway, a, b, bKid } = await setup(target)
      const token = await b.sign({ iss: a.issuer, aud: AUDIENCE }, { kid: bKid })
      return settled(() => bearer(gateway, token))
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: `iss` spellings around a trusted URL (prefix `/realms/main` of `/realms/main-b`, `+ "/"`, `+ ".evil"`, upper case), signed with the trusted key',
    expect: INVALID,
    also: 'the verifier is chosen by the exact `iss` string, never a prefix; a real token of the prefixed issuer still passes',
    attack: async (target) => {
      const { gateway, a, aKid } = await setup(target)
      const spellings = [`${a.issuer}-b`, `${a.issuer}/`, `${a.issuer}.evil`, a.issuer.toUpperCase(), ` ${a.issuer}`]
      return each(gateway, await Promise.all(spellings.map((iss) => a.sign({ iss }, { kid: aKid }))), 401)
    },
    check: async (_outcome, target) => {
      const { gateway, a } = await setup(target)
      const genuine = await bearer(gateway, await a.sign({ sub: 'genuine', groups: ['admin'] }))
      if (genuine.status !== 200) throw new Error(`a genuine token of the trusted issuer answered ${genuine.status}`)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: `alg` outside the issuer\'s list (PS256, RS512 with its own RSA key)',
    expect: INVALID,
    attack: async (target) => {
      const { gateway, a, aKid } = await setup(target)
      return each(gateway, [await a.sign({}, { kid: aKid, alg: 'PS256' }), await a.sign({}, { kid: aKid, alg: 'RS512' })], 401)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: `alg: none`, and HS256 keyed with the issuer\'s published JWK or PEM',
    expect: INVALID,
    attack: async (target) => {
      const { gateway, a, aKid } = await setup(target)
      const jwk = a.jwk(aKid)
      const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
      const payload = { iss: a.issuer, aud: AUDIENCE, sub: 'forged', iat: nowSeconds(), exp: nowSeconds() + 300 }
      return each(gateway, [
        forge({ alg: 'none', kid: aKid }, payload),
        forge({ alg: 'HS256', kid: aKid }, payload, hmac(JSON.stringify(jwk))),
        forge({ alg: 'HS256', kid: aKid }, payload, hmac(pem))
      ], 401)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: validly signed token whose header also embeds a key (`jwk`, `jku`, `x5u`, `x5c`)',
    expect: INVALID,
    also: 'refused even though the signature verifies with the issuer\'s own key',
    attack: async (target) => {
      const { gateway, a, aKid } = await setup(target)
      const jwk = a.jwk(aKid)
      const headers = [{ jwk }, { jku: `${a.issuer}/jwks` }, { x5u: `${a.issuer}/cert.pem` }, { x5c: ['MIIB'] }]
      return each(gateway, await Promise.all(headers.map((header) => a.sign({}, { kid: aKid, header }))), 401)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: wrong, missing, or another issuer\'s `aud` (`other-api`, absent, `[]`, `upstreamx`)',
    expect: INVALID,
    also: 'an `aud` array holding exactly the configured audience passes',
    attack: async (target) => {
      const { gateway, a, aKid } = await setup(target)
      return each(gateway, await Promise.all([{ aud: 'other-api' }, { aud: undefined }, { aud: [] }, { aud: `${AUDIENCE}x` }].map((claims) => a.sign(claims, { kid: aKid }))), 401)
    },
    check: async (_outcome, target) => {
      const { gateway, a } = await setup(target)
      const listed = await bearer(gateway, await a.sign({ aud: ['other-api', AUDIENCE] }))
      if (listed.status !== 200) throw new Error(`an aud array with the audience answered ${listed.status}`)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: expired token (`exp` past the clock tolerance)',
    expect: { status: 401, code: 'AUTH_TOKEN_EXPIRED', upstream: 'untouched' },
    attack: async (target) => {
      const { gateway, a } = await setup(target)
      return bearer(gateway, await a.sign({ iat: nowSeconds() - 600, exp: nowSeconds() - 120 }))
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: another kind of token (`typ` `id_token+jwt`, `logout+jwt`, `authgate-assertion+jwt`), `iat` or `nbf` in the future, no `exp`, a role with a comma',
    expect: INVALID,
    attack: async (target) => {
      const { gateway, a, aKid } = await setup(target)
      return each(gateway, [
        ...await Promise.all(['id_token+jwt', 'logout+jwt', 'authgate-assertion+jwt'].map((typ) => a.sign({}, { kid: aKid, header: { typ } }))),
        await a.sign({ iat: nowSeconds() + 600 }),
        await a.sign({ nbf: nowSeconds() + 600 }),
        await a.sign({ exp: undefined }),
        await a.sign({ groups: ['admin,ops'] })
      ], 401)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer whose JWKS answers without end (huge) or never (slow)',
    expect: UNAVAILABLE,
    also: 'its tokens only: authgate\'s own tokens keep passing; the fetch is bounded in bytes and time (packages/auth/test/trusted-issuers-units.test.ts)',
    attack: async (target) => {
      const { gateway, huge, silent } = await setup(target)
      return each(gateway, [await huge.sign(), await silent.sign()], 503)
    },
    check: async (_outcome, target) => {
      const { gateway } = await setup(target)
      const own = await bearer(gateway, gateway.token('own-user'))
      if (own.status !== 200) throw new Error(`an authgate token answered ${own.status}`)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: replaying an external token after its user\'s logout-all (`POST /auth/logout-all` sent with that token)',
    expect: { status: 401, code: 'AUTH_SESSION_REVOKED', upstream: 'untouched' },
    also: 'revoked by (issuer, sub) and `iat`: the same `sub` at issuer B, and a token of A issued a second later, still pass',
    attack: async (target) => {
      const { gateway, a } = await setup(target)
      const token = await a.sign({ sub: 'logs-out-everywhere' })
      await accepted(gateway, token, 'the token before its logout-all')
      const out = await bearer(gateway, token, '/auth/logout-all', 'POST')
      if (out.status !== 204) throw new Error(`logout-all answered ${out.status}`)
      return bearer(gateway, token)
    },
    check: async (_outcome, target) => {
      const { gateway, b } = await setup(target)
      await accepted(gateway, await b.sign({ sub: 'logs-out-everywhere' }), 'the same sub at issuer B')
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const { a } = await setup(target)
      await accepted(gateway, await a.sign({ sub: 'logs-out-everywhere' }), 'a token issued after the logout-all')
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: a token whose `sub` is an authgate user\'s id calls logout-all, lists that user\'s sessions and deletes one (issuer confusion)',
    expect: { status: 404, code: 'AUTH_NOT_FOUND', upstream: 'n/a' },
    also: 'logout-all revokes only the external user, the session list is empty, and the authgate user\'s token and session stay valid',
    attack: async (target) => {
      const { gateway, a } = await setup(target)
      const own = await gateway.login(`confused-${++users}-${Date.now()}@example.com`)
      const token = await a.sign({ sub: own.userId })
      await accepted(gateway, token, 'the external token')
      const listed = await bearer(gateway, token, '/auth/sessions')
      if (listed.status !== 200 || listed.body !== '[]') throw new Error(`the session list answered ${listed.status} ${listed.body}`)
      const deleted = await bearer(gateway, token, `/auth/sessions/${sidOf(own.accessToken)}`, 'DELETE')
      if ((await bearer(gateway, token, '/auth/logout-all', 'POST')).status !== 204) throw new Error('logout-all refused')
      await accepted(gateway, own.accessToken, 'the authgate user\'s token, after all three')
      return deleted
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: no `iat` (cannot be placed before or after a revocation), or a lifetime `exp - iat` over 24 h (would outlive its revocation)',
    expect: INVALID,
    attack: async (target) => {
      const { gateway, a } = await setup(target)
      return each(gateway, [await a.sign({ iat: undefined }), await a.sign({ exp: nowSeconds() + 2 * 86_400 })], 401)
    }
  },
  {
    id: 'A.23',
    name: 'trusted issuer: a token carrying a `sid` (another user\'s session), `__proto__: { roles: [admin] }`, `constructor`, sent to an admin route',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' },
    also: 'no claim reaches the prototype or authgate\'s own members; on a user route it is forwarded with no `x-session-id`',
    attack: async (target) => {
      const { gateway, a } = await setup(target)
      const token = await a.sign({ sub: 'carrier', sid: 'someone-elses-session', ['__proto__']: { roles: ['admin'] }, constructor: 'x' })
      return settled(() => bearer(gateway, token, '/admin/x'))
    },
    check: async (_outcome, target) => {
      const { gateway, a } = await setup(target)
      const before = target.upstream.seen.length
      const answer = await bearer(gateway, await a.sign({ sub: 'carrier', sid: 'someone-elses-session', ['__proto__']: { roles: ['admin'] } }))
      const seen = target.upstream.seen.at(-1)
      if (answer.status !== 200 || target.upstream.seen.length !== before + 1) throw new Error(`the user route answered ${answer.status}`)
      if (seen?.headers['x-session-id'] !== undefined) throw new Error('a session id was forwarded')
      const roles = seen?.headers['x-user-roles']
      if (roles !== undefined && roles !== '') throw new Error(`roles forwarded: ${String(roles)}`)
    }
  }
]
