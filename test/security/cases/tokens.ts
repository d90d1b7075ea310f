// docs/security.md section A (Access-token verification), sent to the gateway of lib/target.ts. Tokens are forged
// by hand (lib/forge.ts); attacks needing an HS256, RS256 or ES256 issuer use a sibling gateway in front of the
// same recording upstream (lib/siblings.ts), so "never reached" is asserted for them as well.
import { createServer, type Socket } from 'node:net'
import { X509Certificate } from 'node:crypto'
import type { AttackCase, CaseGroup, Expectation, Outcome } from '../lib/case.js'
import { everyVariant } from '../lib/variants.js'
import { AUDIENCE, ISSUER, type AttackTarget } from '../lib/target.js'
import { sibling } from '../lib/siblings.js'
import {
  attackerKey, claims, forge, headerFor, hmac, nowSeconds, publicKeyForms, segment, selfSignedCertificate, signed, signerOf, signWith
} from '../lib/forge.js'
import { trustedIssuerCases } from './trusted-issuers.js'

const INVALID: Expectation = { status: 401, code: 'AUTH_TOKEN_INVALID', upstream: 'untouched' }
const MISSING: Expectation = { status: 401, code: 'AUTH_TOKEN_MISSING', upstream: 'untouched' }
const PASSES: Expectation = { status: 200, upstream: 'reached' }
const TOLERANCE = 30
const ACCESS_TTL = 900

function send (target: AttackTarget, authorization: string, path = '/api/whoami'): Promise<Outcome> {
  return target.request(path, { headers: { authorization } })
}

function bearer (target: AttackTarget, token: string, path = '/api/whoami'): Promise<Outcome> {
  return send(target, `Bearer ${token}`, path)
}

/** Bytes as they are: several Authorization lines, or values no HTTP client library would send. */
function rawGet (target: AttackTarget, headerLines: readonly string[], path = '/api/whoami'): Promise<Outcome> {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headerLines, 'Connection: close', '', '']
  return target.raw(lines.join('\r\n'))
}

function parts (token: string): [string, string, string] {
  const [h = '', p = '', s = ''] = token.split('.')
  return [h, p, s]
}

function lastSeen (target: AttackTarget): { headers: Record<string, string | string[] | undefined>, rawHeaders: string[] } {
  const seen = target.upstream.seen.at(-1)
  if (seen === undefined) throw new Error('the upstream saw nothing')
  return seen
}

/** Each occurrence of `name` among the raw header lines the upstream received. */
function rawValues (rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = []
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === name) values.push(rawHeaders[index + 1] ?? '')
  }
  return values
}

function expectIdentity (target: AttackTarget, sub: string, roles: string): void {
  const { rawHeaders } = lastSeen(target)
  const ids = rawValues(rawHeaders, 'x-user-id')
  if (ids.length !== 1 || ids[0] !== sub) throw new Error(`upstream x-user-id ${JSON.stringify(ids)}, expected exactly ["${sub}"]`)
  const roleLines = rawValues(rawHeaders, 'x-user-roles')
  if (roleLines.length !== 1 || roleLines[0] !== roles) throw new Error(`upstream x-user-roles ${JSON.stringify(roleLines)}, expected ["${roles}"]`)
}

/** Fails the variant (status -1) when the answer took longer than `limitMs`: a lookup or a sleep was triggered. */
async function quick (limitMs: number, attempt: () => Promise<Outcome>): Promise<Outcome> {
  const started = performance.now()
  const outcome = await attempt()
  const took = performance.now() - started
  return took <= limitMs ? outcome : { ...outcome, status: -1, body: `took ${Math.round(took)} ms (limit ${limitMs}): ${outcome.body}` }
}

function mustNotContain (outcome: Outcome, ...markers: string[]): void {
  const text = outcome.body + JSON.stringify(outcome.headers)
  for (const marker of markers) if (text.includes(marker)) throw new Error(`the answer reflects "${marker}"`)
}

/** A loopback listener standing in for an attacker's JWKS host: counts every connection it gets. */
async function listener (): Promise<{ url: string, connections: () => number, close: () => Promise<void> }> {
  let connections = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => { connections++; sockets.add(socket); socket.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  // Never keeps the test process alive, even if a failed attack leaves it open.
  server.unref()
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('listener has no port')
  return {
    url: `http://127.0.0.1:${address.port}/jwks.json`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => { for (const socket of sockets) socket.destroy(); server.close(() => { resolve() }) })
  }
}

/**
 * A.11 in two halves around the runner's "never reached" assertion: the attack sends tokens signed with the attacker
 * key that name the listener in `jku`/`x5u`; the check then sends a token the gateway really signed that carries the
 * same URLs (it verifies by the configured key alone, and reaches the upstream on purpose), and counts connections.
 */
function jkuCase (): AttackCase {
  let jwks: Awaited<ReturnType<typeof listener>> | undefined
  return {
    id: 'A.11',
    name: '`jku` / `x5u` = a loopback attacker JWKS URL, signed with the attacker key',
    expect: INVALID,
    attack: async (target) => {
      jwks = await listener()
      const url = jwks.url
      const pair = attackerKey('EdDSA')
      const variants = [{ jku: url }, { x5u: url }, { jku: url, x5u: url }].flatMap((urls) => [target.key.kid, 'attacker', undefined].map((kid) => ({ ...urls, kid })))
      return everyVariant(variants, INVALID, (extra) => bearer(target, forge({ alg: 'EdDSA', typ: 'at+jwt', ...extra }, claims(), signWith('EdDSA', pair.privateKey))))
    },
    check: async (_outcome, target) => {
      if (jwks === undefined) throw new Error('no listener')
      try {
        const ours = await bearer(target, signed(target.key, claims(), { jku: jwks.url, x5u: jwks.url }))
        if (ours.status !== 200) throw new Error(`our own token carrying jku/x5u answered ${ours.status}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
        if (jwks.connections() !== 0) throw new Error(`the attacker listener got ${jwks.connections()} connection(s)`)
      } finally {
        await jwks.close()
      }
    },
    also: 'the listener records 0 connections; our own token carrying `jku`/`x5u` still verifies (URLs ignored)'
  }
}

const WEAK_SECRETS = [
  '', ' ', 'secret', 'Secret', 'SECRET', 'secretkey', 'secret-key', 'secret_key', 'mysecret', 'my-secret', 'supersecret',
  'your-256-bit-secret', 'your-384-bit-secret', 'your-512-bit-secret', 'jwt', 'jwt-secret', 'jwt_secret', 'JWT_SECRET',
  'key', 'private', 'password', 'Password1', 'passw0rd', '123456', '12345678', '1234567890', 'qwerty', 'admin', 'test',
  'changeme', 'change-me', 'default', 'null', 'undefined', 'token', 'auth', 'authgate', 'gateway', 'HS256',
  'security-hs256', ISSUER, AUDIENCE, 'shhhhh', 'keyboard cat', 'hard!to-guess_secret', 'xxx', 'a'.repeat(32)
]

const groupCases: AttackCase[] = [
  {
    id: 'A.1',
    name: 'no `Authorization` header on a protected route',
    expect: MISSING,
    attack: (target) => target.request('/api/whoami'),
    check: (outcome) => { if (!String(outcome.headers['www-authenticate'] ?? '').startsWith('Bearer')) throw new Error('no WWW-Authenticate: Bearer') },
    also: '`WWW-Authenticate: Bearer`'
  },
  {
    id: 'A.1',
    name: 'malformed bearer value: `Bearer`, `Bearer  <jwt>` (2 spaces), trailing junk, quoted, two tokens comma-joined',
    expect: INVALID,
    attack: (target) => {
      const valid = target.token('u-malformed')
      return everyVariant(['Bearer', `Bearer  ${valid}`, `Bearer ${valid} x`, `Bearer "${valid}"`, `Bearer ${valid}, Bearer ${valid}`, `Bearer ${valid};`],
        INVALID, (value) => send(target, value))
    }
  },
  {
    id: 'A.1',
    name: 'a valid token under another scheme: `Basic`, `Token`, `JWT`, `DPoP`, bare, `Bearer<TAB>`, `Bearerx`',
    expect: MISSING,
    attack: (target) => {
      const valid = target.token('u-scheme')
      const basic = Buffer.from(`u-scheme:${valid}`).toString('base64')
      return everyVariant([`Basic ${valid}`, `Basic ${basic}`, `Token ${valid}`, `JWT ${valid}`, `DPoP ${valid}`, valid, `Bearer\t${valid}`, `Bearerx ${valid}`],
        MISSING, (value) => send(target, value))
    }
  },
  {
    id: 'A.1',
    name: 'two `Authorization` lines (valid + valid, valid + junk, junk + valid), raw socket',
    expect: INVALID,
    attack: (target) => {
      const valid = target.token('u-twice')
      const pairs = [[valid, target.token('u-other')], [valid, 'junk'], ['junk', valid]] as const
      return everyVariant(pairs, INVALID, ([first, second]) => rawGet(target, [`Authorization: Bearer ${first}`, `Authorization: Bearer ${second}`]))
    }
  },
  {
    id: 'A.1',
    name: 'scheme in any case: `bearer`, `BEARER`, `bEaReR` with a valid token',
    expect: PASSES,
    attack: (target) => everyVariant(['bearer', 'BEARER', 'bEaReR'], PASSES, (scheme) => send(target, `${scheme} ${target.token('u-case')}`)),
    check: (_outcome, target) => { expectIdentity(target, 'u-case', '') },
    also: 'the upstream saw exactly one `x-user-id` (the token\'s `sub`)'
  },
  {
    id: 'A.2',
    name: '`alg` `none`/`None`/`NONE`/`nOnE`, empty or original signature, with and without `kid`',
    expect: INVALID,
    attack: (target) => {
      const [, p, s] = parts(target.token('u-none', ['admin']))
      const variants = ['none', 'None', 'NONE', 'nOnE'].flatMap((alg) => [target.key.kid, undefined].flatMap((kid) => ['', s].map((signature) => ({ alg, kid, signature }))))
      return everyVariant(variants, INVALID, ({ alg, kid, signature }) => bearer(target, `${segment({ alg, typ: 'at+jwt', kid })}.${p}.${signature}`, '/admin/users'))
    }
  },
  {
    id: 'A.3',
    name: 'signature stripped: `h.p.` and two-segment `h.p`',
    expect: INVALID,
    attack: (target) => {
      const [h, p] = parts(target.token('u-strip'))
      return everyVariant([`${h}.${p}.`, `${h}.${p}`], INVALID, (token) => bearer(target, token))
    }
  },
  {
    id: 'A.4',
    name: 'broken signature: last 4 chars cut, one bit flipped, doubled, another token\'s, one byte',
    expect: INVALID,
    attack: (target) => {
      const token = target.token('u-broken')
      const [h, p, s] = parts(token)
      const bytes = Buffer.from(s, 'base64url')
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01
      const other = parts(target.token('u-other'))[2]
      return everyVariant([token.slice(0, -4), `${h}.${p}.${bytes.toString('base64url')}`, `${h}.${p}.${s}${s}`, `${h}.${p}.${other}`, `${h}.${p}.AA`],
        INVALID, (forged) => bearer(target, forged))
    }
  },
  {
    id: 'A.4',
    name: 'ES256 issuer, malformed ECDSA signature: 63/65 bytes, all zero, DER instead of r‖s, 3 KB',
    expect: INVALID,
    attack: async (target) => {
      const es = await sibling(target, 'ES256')
      const [h, p] = parts(es.token('u-ecdsa'))
      const derSigned = signWith('RS256', es.key.privateKey as string)(`${h}.${p}`)
      const signatures = [Buffer.alloc(63, 7), Buffer.alloc(65, 7), Buffer.alloc(64), Buffer.from(derSigned, 'base64url'), Buffer.alloc(3000, 1)]
      return everyVariant(signatures, INVALID, (signature) => bearer(es, `${h}.${p}.${signature.toString('base64url')}`))
    },
    also: 'the 500 that @fastify/jwt answers in a default setup stays a 401'
  },
  {
    id: 'A.5',
    name: 'payload changed under the original signature: `sub`→victim, `roles`→admin, marker claims',
    expect: INVALID,
    attack: (target) => {
      const [h, , s] = parts(target.token('u-tamper', ['user']))
      const changes = [{ sub: 'victim' }, { roles: ['admin'] }, { sub: 'MARKER-5a1f', marker: 'MARKER-5a1f' }]
      return everyVariant(changes, INVALID, (change) => bearer(target, `${h}.${segment(claims(change))}.${s}`, '/admin/users'))
    },
    check: (outcome) => { mustNotContain(outcome, 'MARKER-5a1f', 'victim') },
    also: 'marker and victim values never appear in the answer'
  },
  {
    id: 'A.6',
    name: 'EdDSA issuer: HS256/384/512 keyed with its public key as PEM (±`\\n`, space, tab, `#`, U+200B, CRLF), DER, JWK',
    expect: INVALID,
    attack: (target) => {
      const variants = publicKeyForms(target.key.publicKey as string).flatMap(([label, secret]) => ([256, 384, 512] as const).map((bits) => ({ label, secret, bits })))
      return everyVariant(variants, INVALID, ({ secret, bits }) => bearer(target, forge(headerFor(target.key, { alg: `HS${bits}` }), claims(), hmac(secret, bits))))
    }
  },
  {
    id: 'A.6',
    name: 'RS256 and ES256 issuers: HS256/384/512 keyed with their public key in every form above',
    expect: INVALID,
    attack: async (target) => {
      const issuers = [await sibling(target, 'RS256'), await sibling(target, 'ES256')]
      const variants = issuers.flatMap((issuer) => publicKeyForms(issuer.key.publicKey as string)
        .flatMap(([label, secret]) => ([256, 384, 512] as const).map((bits) => ({ issuer, label, secret, bits }))))
      return everyVariant(variants, INVALID, ({ issuer, secret, bits }) => bearer(issuer, forge(headerFor(issuer.key, { alg: `HS${bits}` }), claims(), hmac(secret, bits))))
    }
  },
  {
    id: 'A.6',
    name: 'HS256 issuer: RS256, PS256, ES256, EdDSA tokens signed with an attacker key, issuer\'s `kid`',
    expect: INVALID,
    attack: async (target) => {
      const hs = await sibling(target, 'HS256')
      const variants = [['RS256', 'RS256'], ['PS256', 'RS256'], ['ES256', 'ES256'], ['EdDSA', 'EdDSA']] as const
      return everyVariant(variants, INVALID, ([alg, pair]) => bearer(hs, forge(headerFor(hs.key, { alg }), claims(), signWith(alg, attackerKey(pair).privateKey))))
    }
  },
  {
    id: 'A.7',
    name: 'right key, `alg` outside the allowlist: HS384/HS512 for HS256, PS256/RS384/RS512 for RS256, `Ed25519`/`eddsa` for EdDSA',
    expect: INVALID,
    attack: async (target) => {
      const hs = await sibling(target, 'HS256')
      const rs = await sibling(target, 'RS256')
      const variants: Array<[AttackTarget, string]> = [[hs, 'HS384'], [hs, 'HS512'], [rs, 'PS256'], [rs, 'RS384'], [rs, 'RS512'], [rs, 'PS512'],
        [target, 'Ed25519'], [target, 'eddsa'], [target, 'EDDSA']]
      return everyVariant(variants, INVALID, ([issuer, alg]) => {
        const signer = alg.toLowerCase().startsWith('ed') ? signerOf(issuer.key) : signerOf(issuer.key, alg)
        return bearer(issuer, forge(headerFor(issuer.key, { alg }), claims(), signer))
      })
    },
    check: async (_outcome, target) => {
      const rs = await sibling(target, 'RS256')
      const control = await bearer(rs, signed(rs.key))
      if (control.status !== 200) throw new Error(`control: RS256 with the RS256 key answered ${control.status}`)
    },
    also: 'control: the same key under its own `alg` passes'
  },
  {
    id: 'A.8',
    name: 'HS256 signed with an empty key `""` (HS256 and EdDSA issuers)',
    expect: INVALID,
    attack: async (target) => {
      const hs = await sibling(target, 'HS256')
      return everyVariant([hs, target], INVALID, (issuer) => bearer(issuer, forge(headerFor(issuer.key, { alg: 'HS256' }), claims(), hmac(''))))
    }
  },
  {
    id: 'A.9',
    name: `weak secret: HS256 signed with ${WEAK_SECRETS.length} common secrets (jwt_tool jwt-common.txt style)`,
    expect: INVALID,
    attack: async (target) => {
      const hs = await sibling(target, 'HS256')
      return everyVariant(WEAK_SECRETS, INVALID, (secret) => bearer(hs, forge(headerFor(hs.key), claims(), hmac(secret))))
    }
  },
  {
    id: 'A.10',
    name: 'embedded `jwk` = attacker public key, signed with its private key (RS256 and EdDSA issuers, with/without `kid`)',
    expect: INVALID,
    attack: async (target) => {
      const rs = await sibling(target, 'RS256')
      const variants: Array<[AttackTarget, 'RS256' | 'EdDSA', string | undefined]> = [[rs, 'RS256', rs.key.kid], [rs, 'RS256', undefined], [target, 'EdDSA', target.key.kid], [target, 'EdDSA', undefined]]
      return everyVariant(variants, INVALID, ([issuer, alg, kid]) => {
        const pair = attackerKey(alg)
        return bearer(issuer, forge({ alg, typ: 'at+jwt', kid, jwk: pair.publicKey.export({ format: 'jwk' }) }, claims(), signWith(alg, pair.privateKey)))
      })
    }
  },
  {
    id: 'A.10',
    name: 'embedded `x5c` = self-signed attacker certificate, signed with its key',
    expect: INVALID,
    attack: (target) => {
      const pair = attackerKey('EdDSA')
      const x5c = [selfSignedCertificate(pair).toString('base64')]
      return everyVariant([target.key.kid, undefined, 'attacker'], INVALID, (kid) => bearer(target, forge({ alg: 'EdDSA', typ: 'at+jwt', kid, x5c }, claims(), signWith('EdDSA', pair.privateKey))))
    },
    check: () => {
      const pair = attackerKey('EdDSA')
      const certificate = new X509Certificate(selfSignedCertificate(pair))
      if (!certificate.verify(pair.publicKey)) throw new Error('the forged certificate is not a valid self-signed certificate')
    },
    also: 'the certificate is a real self-signed X.509 (node:crypto verifies it)'
  },
  jkuCase(),
  {
    id: 'A.12',
    name: '`kid` injection on an HS256 issuer: `../../dev/null`, `/dev/null`, SQL, `|sleep 10`, `{"$ne":null}`, 10 KB, number/null/object/array',
    expect: INVALID,
    attack: async (target) => {
      const hs = await sibling(target, 'HS256')
      const variants: Array<[unknown, string]> = [
        ['../../../../../../dev/null', ''], ['/dev/null', ''], ['/invalid_path', ''], ["x' UNION SELECT '1';--", '1'], ['|sleep 10', ''],
        ['$(sleep 10)', ''], ['{"$ne":null}', ''], ['k'.repeat(10_240), ''], [1, ''], [null, ''], [{ $ne: null }, ''], [[hs.key.kid], '']
      ]
      return everyVariant(variants, INVALID, ([kid, key]) => quick(1000, () => bearer(hs, forge({ alg: 'HS256', typ: 'at+jwt', kid }, claims(), hmac(key)))))
    },
    also: 'each answer within 1 s'
  },
  {
    id: 'A.12',
    name: 'missing or empty `kid`, otherwise validly signed by the gateway\'s key',
    expect: INVALID,
    attack: (target) => everyVariant(['', undefined], INVALID, (kid) => bearer(target, signed(target.key, claims(), { kid })))
  },
  {
    id: 'A.12',
    name: 'a `kid` no configured key has (`not-a-key`, the real kid upper-cased, `__proto__`, `constructor`) in a header otherwise exactly the gateway\'s',
    // The key set is complete (it loaded): the kid was never ours, or its key was dropped (a compromised key after
    // `authgate keys retire --kid`), so 401 and the client refreshes. The 503 of docs/design.md#keys is only for a key
    // set that may lack a key that signs (packages/auth/test/key-ring.test.ts, test/instances/key-drill.test.ts).
    expect: INVALID,
    attack: (target) => everyVariant(['not-a-key', target.key.kid.toUpperCase(), '__proto__', 'constructor'], INVALID,
      (kid) => bearer(target, signed(target.key, claims(), { kid }))),
    check: (outcome) => {
      if (outcome.headers['retry-after'] !== undefined) throw new Error('a Retry-After on the 401: the client would wait instead of refreshing')
      if (!String(outcome.headers['www-authenticate'] ?? '').startsWith('Bearer')) throw new Error('no WWW-Authenticate: Bearer')
    },
    also: 'no `Retry-After`; `WWW-Authenticate: Bearer`'
  },
  {
    id: 'A.13',
    name: '`crit` `["foo"]`, `[]`, `["alg"]`, duplicated, a string; `b64: false`/`true` (validly signed)',
    expect: INVALID,
    attack: (target) => {
      const extras = [{ crit: ['foo'], foo: 1 }, { crit: [] }, { crit: ['alg'] }, { crit: ['foo', 'foo'], foo: 1 }, { crit: 'foo', foo: 1 },
        { b64: false }, { b64: true }, { crit: ['b64'], b64: false }]
      return everyVariant(extras, INVALID, (extra) => bearer(target, signed(target.key, claims(), extra)))
    }
  },
  {
    id: 'A.14',
    name: `\`exp\` = now − (tolerance ${TOLERANCE} s + 1 s)`,
    expect: { status: 401, code: 'AUTH_TOKEN_EXPIRED', upstream: 'untouched' },
    attack: (target) => {
      const now = nowSeconds()
      return bearer(target, signed(target.key, claims({ iat: now - 600, exp: now - TOLERANCE - 1 })))
    }
  },
  {
    id: 'A.14',
    name: `\`exp\` = now − tolerance + 1 s (boundary, still accepted)`,
    expect: PASSES,
    attack: async (target) => {
      // At the start of a second, so the token keeps most of a second of margin on its way through.
      await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)))
      const now = nowSeconds()
      return bearer(target, signed(target.key, claims({ sub: 'u-boundary', iat: now - 600, exp: now - TOLERANCE + 1 })))
    },
    check: (_outcome, target) => { expectIdentity(target, 'u-boundary', 'user') },
    also: 'the upstream sees exactly one `x-user-id: u-boundary`'
  },
  {
    id: 'A.14',
    name: '`exp` = now − 10 s (expired, inside the tolerance): the forwarded `x-authgate-assertion`',
    expect: PASSES,
    attack: (target) => {
      const now = nowSeconds()
      return bearer(target, signed(target.key, claims({ sub: 'u-late', iat: now - 600, exp: now - 10 })))
    },
    check: (_outcome, target) => {
      const assertion = lastSeen(target).headers['x-authgate-assertion']
      const payload = JSON.parse(Buffer.from(parts(String(assertion))[1], 'base64url').toString('utf8')) as { iat: number, exp: number }
      const tokenExp = nowSeconds() - 10
      if (!(payload.exp > payload.iat)) throw new Error(`assertion exp ${payload.exp} <= iat ${payload.iat}`)
      if (payload.exp > tokenExp + 1) throw new Error(`assertion exp ${payload.exp} outlives the token's exp ${tokenExp}`)
    },
    also: 'the assertion has `exp > iat` and never outlives the token (iat moved back to `exp − 1`)'
  },
  {
    id: 'A.14',
    name: '`exp` missing, a string `"9999999999"`, fractional, `exp` ≤ `iat`, far future (ms taken for s)',
    expect: INVALID,
    attack: (target) => {
      const now = nowSeconds()
      const variants = [{ exp: undefined }, { exp: '9999999999' }, { exp: now + 600.5 }, { exp: now }, { iat: now, exp: now - 1 },
        { exp: (now + 600) * 1000 }, { exp: now + ACCESS_TTL + 60 }, { exp: null }, { exp: [now + 600] }]
      return everyVariant(variants, INVALID, (change) => bearer(target, signed(target.key, claims(change))))
    }
  },
  {
    id: 'A.14',
    name: '`exp` negative or 0 (validly signed)',
    expect: { status: 401, code: 'AUTH_TOKEN_EXPIRED', upstream: 'untouched' },
    attack: (target) => everyVariant([-1, 0], { status: 401, code: 'AUTH_TOKEN_EXPIRED', upstream: 'untouched' },
      (exp) => bearer(target, signed(target.key, claims({ exp }))))
  },
  {
    id: 'A.15',
    name: '`nbf` = now + 120 s; `iat` = now + 3600 s; `iat` = now + tolerance + 60 s',
    expect: INVALID,
    attack: (target) => {
      const now = nowSeconds()
      const variants = [{ nbf: now + 120 }, { iat: now + 3600, exp: now + 3600 + 600 }, { iat: now + TOLERANCE + 60, exp: now + TOLERANCE + 660 }]
      return everyVariant(variants, INVALID, (change) => bearer(target, signed(target.key, claims(change))))
    }
  },
  {
    id: 'A.16',
    name: '`iss` wrong, `""`, an array, missing; `aud` wrong, missing, array of others, array holding ours',
    expect: INVALID,
    attack: (target) => {
      const variants = [{ iss: 'https://evil.example' }, { iss: '' }, { iss: [ISSUER] }, { iss: undefined }, { iss: `${ISSUER} ` },
        { aud: 'other-service' }, { aud: undefined }, { aud: ['other', 'service'] }, { aud: [AUDIENCE, 'other'] }, { aud: [AUDIENCE] }, { aud: AUDIENCE.toUpperCase() }]
      return everyVariant(variants, INVALID, (change) => bearer(target, signed(target.key, claims(change))))
    }
  },
  {
    id: 'A.16',
    name: '`sub`/`sid`/`jti`/`iat` missing or mistyped, `sub` with CRLF, a role with a comma, `roles` not a list',
    expect: INVALID,
    attack: (target) => {
      const variants = [{ sub: undefined }, { sid: undefined }, { jti: undefined }, { iat: undefined }, { sub: 42 }, { sub: '' }, { sid: { $ne: null } },
        { iat: String(nowSeconds()) }, { sub: 'u1\r\nx-user-roles: admin' }, { roles: ['user,admin'] }, { roles: 'admin' }, { roles: [['admin']] }]
      return everyVariant(variants, INVALID, (change) => bearer(target, signed(target.key, claims(change)), '/admin/users'))
    }
  },
  {
    id: 'A.17',
    name: 'other JWTs signed with the same key: `typ` `JWT`, missing, `refresh+jwt`, `""`, `at+jwt ` (space), `token_use: refresh`',
    expect: INVALID,
    attack: (target) => {
      const variants: Array<[Record<string, unknown>, Record<string, unknown>]> = [[{ typ: 'JWT' }, {}], [{ typ: undefined }, {}], [{ typ: 'refresh+jwt' }, {}],
        [{ typ: '' }, {}], [{ typ: 'at+jwt ' }, {}], [{ typ: null }, {}], [{ typ: 'JWT' }, { token_use: 'refresh' }], [{ typ: 'JWT' }, { purpose: 'email-verify' }]]
      return everyVariant(variants, INVALID, ([header, change]) => bearer(target, signed(target.key, claims(change), header)))
    }
  },
  {
    id: 'A.17',
    name: 'the gateway\'s own `x-authgate-assertion` (same key, typ `authgate-assertion+jwt`) replayed as a Bearer token',
    expect: INVALID,
    attack: (target) => {
      // Exactly what the gateway forwards upstream for a verified request to /api (apps/gateway/src/headers.ts).
      const verified = target.app.authgate.tokens.verify(target.token('u-assert'))
      if (!verified.ok) throw new Error('setup: the gateway refused its own token')
      return bearer(target, target.app.authgate.tokens.signAssertion(verified.claims, '/api'))
    }
  },
  {
    id: 'A.17',
    name: 'a refresh token (from a real login) sent as the Bearer token',
    expect: INVALID,
    attack: async (target) => {
      const session = await target.login('a17-refresh@example.com')
      return bearer(target, session.refreshToken)
    }
  },
  {
    id: 'A.17',
    name: 'the access token sent as the refresh cookie to `POST /auth/refresh`',
    expect: { status: 401, code: 'AUTH_REFRESH_INVALID', upstream: 'n/a' },
    attack: async (target) => {
      const session = await target.login('a17-cookie@example.com')
      return target.request('/auth/refresh', { method: 'POST', headers: { cookie: `authgate_rt=${session.accessToken}` } })
    },
    check: (outcome) => {
      // Clearing the cookie (`authgate_rt=;`) is fine; issuing a new value would be a rotation.
      const cookies = ([] as string[]).concat(outcome.headers['set-cookie'] ?? [])
      if (cookies.some((cookie) => /^authgate_rt=[^;]/.test(cookie))) throw new Error('a refresh cookie was issued')
    },
    also: 'no new refresh cookie is issued'
  },
  {
    id: 'A.18',
    name: 'a 10 kB validly signed token (over the 8 KiB cap), sent 200 times',
    expect: INVALID,
    attack: (target) => {
      const token = signed(target.key, claims({ pad: 'x'.repeat(7500) }))
      return everyVariant(Array.from({ length: 200 }, (_, index) => index), INVALID, () => quick(2000, () => bearer(target, token)))
    },
    also: 'every repeat answers within 2 s'
  },
  {
    id: 'A.18',
    name: 'header of 5,000 nested arrays (13 kB), validly signed',
    expect: INVALID,
    attack: (target) => bearer(target, forge('['.repeat(5000) + ']'.repeat(5000), claims(), signerOf(target.key)))
  },
  {
    id: 'A.18',
    // The gateway's request head cap is server.maxUrlLength + 16 KiB (24 KiB by default): the HTTP parser answers 431
    // beyond it; below it, a token over 8 KiB is refused by its size before any parsing.
    name: 'a 20 KB `Authorization` value (under the 24 KiB head cap, over the 8 KiB token cap), raw socket',
    expect: { status: 401, code: 'AUTH_TOKEN_INVALID', upstream: 'untouched' },
    attack: (target) => rawGet(target, [`Authorization: Bearer ${signed(target.key, claims({ pad: 'x'.repeat(15_000) }))}`])
  },
  {
    id: 'A.18',
    name: 'a 40 KB `Authorization` value (over the gateway\'s 24 KiB request head cap), raw socket',
    expect: { status: 431, upstream: 'untouched' },
    attack: (target) => rawGet(target, [`Authorization: Bearer ${signed(target.key, claims({ pad: 'x'.repeat(30_000) }))}`])
  },
  {
    id: 'A.18',
    name: 'a 1 MB `Authorization` value, raw socket',
    expect: { status: [431, 0], upstream: 'untouched' },
    attack: (target) => rawGet(target, [`Authorization: Bearer ${signed(target.key, claims({ pad: 'x'.repeat(760_000) }))}`]),
    check: async (_outcome, target) => {
      const after = await bearer(target, target.token('u-after-1mb'))
      if (after.status !== 200) throw new Error(`the gateway answered ${after.status} to a valid request afterwards`)
    },
    also: '431 or the socket is closed (status 0); a valid request right after still answers 200'
  },
  {
    id: 'A.19',
    name: 'non-canonical base64url: `+`, `/`, `=` padding, 4 and 5 (JWE-shaped) segments, empty, `..`',
    expect: INVALID,
    attack: (target) => {
      const token = target.token('u-encoding')
      const [h, p, s] = parts(token)
      const variants = [`${h}.${p}.${s.replace(/[-_]/, '+')}x`, `${h}.${p.slice(0, -1)}/.${s}`, `${h}=.${p}.${s}`, `${h}.${p}.${s}=`,
        `${h}.${p}==.${s}`, `${token}.${s}`, `${token}.${s}.${s}`, '..', `.${p}.${s}`, `${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`]
      return everyVariant(variants, INVALID, (forged) => bearer(target, forged))
    }
  },
  {
    id: 'A.19',
    name: 'space, tab, newline, NUL or a non-ASCII byte inside the token, raw socket',
    expect: { status: [400, 401], upstream: 'untouched' },
    attack: (target) => {
      const [h, p, s] = parts(target.token('u-bytes'))
      const variants = [' ', '\t', '\n', '\r\n ', '\u0000', '\u00e9', '\u00ff'].map((insert) => `${h}.${p.slice(0, 5)}${insert}${p.slice(5)}.${s}`)
      return everyVariant(variants, { status: [400, 401], upstream: 'untouched' }, (token) => rawGet(target, [`Authorization: Bearer ${token}`]))
    }
  },
  {
    id: 'A.19',
    name: 'header or payload not a JSON object (`null`, `[]`, a string, a number, `{`), or invalid UTF-8, validly signed',
    expect: INVALID,
    attack: (target) => {
      const header = JSON.stringify(headerFor(target.key))
      const badHeader = Buffer.concat([Buffer.from(header.slice(0, -1) + ',"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])
      const badPayload = Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1) + ',"x":"'), Buffer.from([0x61, 0xff, 0xc3]), Buffer.from('"}')])
      const variants: Array<[unknown, unknown]> = [
        ...['null', '[]', '"at+jwt"', '1', 'true', '{', ''].map((text): [unknown, unknown] => [text, claims()]),
        ...['null', '[]', '"u1"', '1', '{'].map((text): [unknown, unknown] => [header, text]),
        [badHeader, claims()], [header, badPayload]
      ]
      return everyVariant(variants, INVALID, ([h, p]) => bearer(target, forge(h, p, signerOf(target.key))))
    }
  },
  {
    id: 'A.20',
    name: 'duplicate claims `{"sub":"a",…,"sub":"b"}` and `roles` twice, validly signed',
    expect: PASSES,
    attack: (target) => {
      const json = JSON.stringify(claims({ sub: 'a' })).slice(0, -1) + ',"sub":"b","roles":["admin"],"roles":["user"]}'
      return bearer(target, forge(headerFor(target.key), json, signerOf(target.key)))
    },
    check: (_outcome, target) => { expectIdentity(target, 'b', 'user') },
    also: 'the upstream sees exactly one `x-user-id: b` and `x-user-roles: user` (the lexically last values, as the policy used)'
  },
  {
    id: 'A.20',
    name: 'duplicate `roles` decide the policy too: `["admin"]` then `["user"]` on `/admin`',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' },
    attack: (target) => {
      const json = JSON.stringify(claims({ sub: 'dup-roles' })).slice(0, -1) + ',"roles":["admin"],"roles":["user"]}'
      return bearer(target, forge(headerFor(target.key), json, signerOf(target.key)), '/admin/users')
    },
    check: async (_outcome, target) => {
      const json = JSON.stringify(claims({ sub: 'dup-roles' })).slice(0, -1) + ',"roles":["user"],"roles":["admin"]}'
      const reverse = await bearer(target, forge(headerFor(target.key), json, signerOf(target.key)), '/admin/users')
      if (reverse.status !== 200) throw new Error(`last roles ["admin"] answered ${reverse.status}`)
      expectIdentity(target, 'dup-roles', 'admin')
    },
    also: 'with `["admin"]` last: 200 and the upstream sees `x-user-roles: admin`'
  },
  {
    id: 'A.20',
    name: '`__proto__`, `constructor`, `isAdmin`, `email` and marker claims in a validly signed token',
    expect: PASSES,
    attack: (target) => {
      const json = JSON.stringify(claims({ sub: 'u-proto', email: 'MARKER-e@x', isAdmin: true, x_user_id: 'MARKER-x' })).slice(0, -1) +
        ',"__proto__":{"roles":["admin"],"marker":"MARKER-p"},"constructor":{"prototype":{"admin":"MARKER-c"}}}'
      return bearer(target, forge(headerFor(target.key), json, signerOf(target.key)))
    },
    check: (_outcome, target) => {
      expectIdentity(target, 'u-proto', 'user')
      const upstreamSaw = JSON.stringify(lastSeen(target).rawHeaders)
      if (upstreamSaw.includes('MARKER') || /isadmin|x-user-email/i.test(upstreamSaw)) throw new Error('a non-allowlisted claim reached the upstream')
      if (({} as Record<string, unknown>).admin !== undefined || ({} as Record<string, unknown>).marker !== undefined) throw new Error('Object.prototype polluted')
    },
    also: 'the upstream gets `x-user-id`/`x-user-roles` from `sub`/`roles` only, no marker or other claim; `Object.prototype` untouched'
  },
  {
    id: 'A.20',
    name: 'duplicate header members ending in `"alg":"none"` or an unknown `kid`',
    expect: INVALID,
    attack: (target) => {
      const header = JSON.stringify(headerFor(target.key)).slice(0, -1)
      const variants = [[`${header},"alg":"none"}`, false], [`${header},"alg":"none"}`, true], [`${header},"kid":"other"}`, true], [`${header},"typ":"JWT"}`, true]] as const
      return everyVariant(variants, INVALID, ([h, signedToo]) => bearer(target, forge(h, claims(), signedToo ? signerOf(target.key) : undefined)))
    }
  },
  {
    id: 'A.21',
    name: 'a valid token in `?access_token=`, a form body, or a cookie (no Authorization)',
    expect: MISSING,
    attack: (target) => {
      const token = target.token('u-elsewhere')
      const variants: Array<[string, RequestInit]> = [
        [`/api/whoami?access_token=${token}`, {}],
        ['/api/whoami', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` }],
        ['/api/whoami', { headers: { cookie: `access_token=${token}` } }],
        ['/api/whoami', { headers: { cookie: `authorization=Bearer%20${token}; token=${token}` } }],
        ['/api/whoami', { headers: { cookie: `authgate_rt=${token}` } }]
      ]
      return everyVariant(variants, MISSING, ([path, init]) => target.request(path, init))
    },
    check: (outcome) => { mustNotContain(outcome, 'eyJ') },
    also: 'the token is not echoed in the answer'
  },
  {
    id: 'A.22',
    name: 'after logout-everywhere, the still unexpired access token',
    expect: { status: 401, code: 'AUTH_SESSION_REVOKED', upstream: 'untouched' },
    attack: async (target) => {
      const session = await target.login('a22-everywhere@example.com')
      const before = await target.request('/auth/me', { headers: { authorization: `Bearer ${session.accessToken}` } })
      if (before.status !== 200) return { ...before, status: -1, body: `setup: the fresh token answered ${before.status}` }
      const out = await target.request('/auth/logout-all', { method: 'POST', headers: { authorization: `Bearer ${session.accessToken}` } })
      if (out.status !== 204) return { ...out, status: -1, body: `setup: logout-all answered ${out.status}` }
      return bearer(target, session.accessToken)
    },
    check: async (_outcome, target) => {
      const { accessToken } = await target.login('a22-ttl@example.com')
      const payload = JSON.parse(Buffer.from(parts(accessToken)[1], 'base64url').toString('utf8')) as { iat: number, exp: number }
      if (payload.exp - payload.iat > ACCESS_TTL) throw new Error(`issued exp − iat = ${payload.exp - payload.iat} s > ${ACCESS_TTL} s`)
    },
    also: 'the token worked on `/auth/me` before; issued tokens have `exp − iat` ≤ the 15 min access TTL'
  },
  {
    id: 'A.22',
    name: 'after `POST /auth/logout` (cookie), that session\'s access token',
    expect: { status: 401, code: 'AUTH_SESSION_REVOKED', upstream: 'untouched' },
    attack: async (target) => {
      const session = await target.login('a22-logout@example.com')
      const out = await target.request('/auth/logout', { method: 'POST', headers: { cookie: `authgate_rt=${session.refreshToken}` } })
      if (out.status !== 204) return { ...out, status: -1, body: `setup: logout answered ${out.status}` }
      return bearer(target, session.accessToken)
    }
  }
]

export const group: CaseGroup = {
  section: 'A',
  title: 'Access-token verification',
  cases: [...groupCases, ...trustedIssuerCases]
}
