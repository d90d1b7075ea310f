// Section B additions from issue #14 (forward-auth and claims to headers): the /auth/verify endpoint asked by a peer
// that is not a trusted proxy, path-bypass spellings named as the original URI, forged claim headers, and claim
// values that cannot be header values. Merged into section B by cases/gateway.ts.
import type { AttackCase, Expectation, Outcome } from '../lib/case.js'
import type { AttackTarget } from '../lib/target.js'
import { everyVariant } from '../lib/variants.js'
import { attach, bearer, evidenceOf, exchange, rawHttp } from '../lib/gateway-wire.js'
import { ADMIN_BYPASS } from '../lib/gateway-spellings.js'
import { claims, signed } from '../lib/forge.js'

/** An address outside loopback and the target's (absent) server.trustProxy. */
const UNTRUSTED_PEER = '203.0.113.7'
const CLAIM_HEADERS = { claims: { 'x-token-id': 'jti', 'x-tenant': 'iss' }, preset: 'oauth2-proxy' }

/** A gateway mapping claims to headers, in front of the target's own recording upstream. */
function withClaimHeaders (target: AttackTarget): Promise<AttackTarget> {
  return target.fresh({ config: { headers: CLAIM_HEADERS, routes: [{ prefix: '/api', upstream: target.upstream.url, auth: 'required' }] } })
}

/** /auth/verify asked from `remoteAddress` (light-my-request sets the socket's address: no other way on loopback). */
async function verifyFrom (target: AttackTarget, remoteAddress: string, headers: Record<string, string>): Promise<Outcome> {
  const response = await target.app.inject({ method: 'GET', url: '/auth/verify', remoteAddress, headers })
  let code: string | undefined
  try { code = (JSON.parse(response.body) as { code?: string }).code } catch { code = undefined }
  return { status: response.statusCode, code, headers: response.headers as Outcome['headers'], body: response.body }
}

function identityIn (outcome: Outcome): string[] {
  return Object.keys(outcome.headers).filter((name) => name.startsWith('x-user') || name.startsWith('x-auth') || name === 'x-session-id')
}

const UNTRUSTED: Expectation = { status: 400, code: 'GATEWAY_BAD_REQUEST', upstream: 'untouched' }

export const forwardAuthCases: AttackCase[] = [
  {
    id: 'B.31',
    name: 'forward-auth (`/auth/verify`) from an untrusted peer naming a spoofed original URI (`X-Original-URI`/`X-Forwarded-Uri: /public/x`, with and without a token)',
    expect: UNTRUSTED,
    attack: (target) => {
      const token = target.token('u1', ['user'])
      const variants: Array<Record<string, string>> = [
        { 'x-original-uri': '/public/x' }, { 'x-forwarded-uri': '/public/x' }, { 'x-forwarded-uri': '/public/x', 'x-forwarded-method': 'GET' },
        { 'x-original-uri': '/admin/users', authorization: `Bearer ${token}` }, {}
      ]
      return everyVariant(variants, UNTRUSTED, async (headers) => {
        const outcome = await verifyFrom(target, UNTRUSTED_PEER, headers)
        return identityIn(outcome).length === 0 ? outcome : { ...outcome, status: 0, body: `identity headers: ${identityIn(outcome).join(', ')}` }
      })
    },
    also: 'no identity header in any answer; loopback and `server.trustProxy` peers alone are believed'
  },
  {
    id: 'B.29',
    name: 'forward-auth: the path-bypass spellings of `/admin/users` named as `X-Original-URI`, with a valid non-admin token',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' },
    attack: (target) => {
      const user = target.token('u1', ['user'])
      return everyVariant(ADMIN_BYPASS, { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' },
        (path) => target.request('/auth/verify', { headers: { authorization: `Bearer ${user}`, 'x-original-uri': path } }))
    }
  },
  {
    id: 'B.29',
    name: 'forward-auth: the same spellings without a token',
    expect: { status: [401, 403], upstream: 'untouched' },
    attack: (target) => everyVariant(ADMIN_BYPASS, { status: [401, 403], upstream: 'untouched' },
      (path) => target.request('/auth/verify', { headers: { 'x-original-uri': path } }))
  },
  {
    id: 'B.23',
    name: 'forged claim headers (`headers.claims`, `headers.preset: oauth2-proxy`): `X-Tenant`, `x_tenant`, `X-Token-Id`, `X-Auth-Request-Email`/`-Preferred-Username`/`-Groups` with a valid token',
    expect: { status: 200, upstream: 'reached' },
    attack: async (target) => {
      const gateway = await withClaimHeaders(target)
      const before = target.upstream.seen.length
      const forged = ['X-Tenant: evil', 'x_tenant: evil', 'X-Token-Id: evil', 'X-Auth-Request-Email: boss@example.com', 'X-Auth-Request-Preferred-Username: boss', 'X-Auth-Request-Groups: admin']
      const outcome = await exchange(gateway, rawHttp('GET', '/api/whoami', [bearer(gateway.token('u1', ['user'])), ...forged]))
      return attach(outcome, { arrived: target.upstream.seen.slice(before) })
    },
    check: (outcome) => {
      const seen = evidenceOf(outcome).arrived
      const headers = seen[0]?.headers ?? {}
      const problems = [
        ...(seen.length === 1 ? [] : [`${seen.length} arrivals`]),
        ...(headers['x-tenant'] === 'authgate-security' ? [] : [`x-tenant: ${String(headers['x-tenant'])}`]),
        ...(headers['x-token-id'] !== 'evil' && typeof headers['x-token-id'] === 'string' ? [] : [`x-token-id: ${String(headers['x-token-id'])}`]),
        ...(headers['x-auth-request-groups'] === 'user' ? [] : [`x-auth-request-groups: ${String(headers['x-auth-request-groups'])}`]),
        ...['x_tenant', 'x-auth-request-email', 'x-auth-request-preferred-username'].filter((name) => headers[name] !== undefined).map((name) => `${name} arrived`)
      ]
      if (problems.length > 0) throw new Error(problems.join('; '))
    },
    also: 'the upstream sees the verified values only (`x-tenant` = issuer, groups = roles); no forged copy, no email the token lacks'
  },
  {
    id: 'B.20',
    name: 'a mapped claim holding a comma (`jti: "a,b"`, validly signed, `headers.claims: { x-token-id: jti }`)',
    expect: { status: 200, upstream: 'reached' },
    attack: async (target) => {
      const gateway = await withClaimHeaders(target)
      const before = target.upstream.seen.length
      const token = signed(gateway.key, claims({ jti: 'a,b', sid: `comma-${Date.now()}` }))
      const outcome = await exchange(gateway, rawHttp('GET', '/api/whoami', [bearer(token)]))
      return attach(outcome, { arrived: target.upstream.seen.slice(before) })
    },
    check: (outcome) => {
      const headers = evidenceOf(outcome).arrived[0]?.headers ?? {}
      if (headers['x-token-id'] !== undefined) throw new Error(`x-token-id arrived: ${String(headers['x-token-id'])}`)
      if (headers['x-user-id'] !== 'forged-user') throw new Error(`x-user-id: ${String(headers['x-user-id'])}`)
    },
    also: 'the header is omitted (a comma would read as two values), the identity itself still arrives'
  },
  {
    id: 'B.20',
    name: 'a mapped claim holding CR/LF or a control character (`jti: "a\\r\\nX-User-Id: admin"`, validly signed)',
    expect: { status: 401, code: 'AUTH_TOKEN_INVALID', upstream: 'untouched' },
    attack: async (target) => {
      const gateway = await withClaimHeaders(target)
      return everyVariant(['a\r\nX-User-Id: admin', 'a\nb', 'a\u0000b', 'a\u007fb'], { status: 401, code: 'AUTH_TOKEN_INVALID', upstream: 'untouched' },
        (jti) => exchange(gateway, rawHttp('GET', '/api/whoami', [bearer(signed(gateway.key, claims({ jti })))])))
    }
  }
]
