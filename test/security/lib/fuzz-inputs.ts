// Generators (fast-check arbitraries) and oracles for test/security/fuzz.test.ts: what a hostile client puts in an
// Authorization header, a Cookie header or a request target, and how a lenient upstream would read a path. Kept
// apart from the test so the test reads as the list of properties.
import fc from 'fast-check'

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Characters a header value may hold on the wire, plus the ones it may not (NUL, controls, DEL, non-ASCII). */
const headerChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) },
  { weight: 2, arbitrary: fc.constantFrom(...B64URL.split(''), '.', '.', '=', '+', '/', ' ') },
  { weight: 1, arbitrary: fc.constantFrom('\t', '\u0000', '\u0001', '\u001f', '\u007f', 'é', '\u00ff', '\u200b', '\ufeff', '😀', '"', ',', ';') }
)

/** A header value of up to `maxLength` characters (no CR/LF: those end the header line, a separate concern: B.27). */
export function headerValue (maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: headerChar, maxLength })
}

/** What goes on the wire: UTF-8 bytes as a latin1 string (target.raw writes latin1). */
export function wire (text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

// ---- Authorization ------------------------------------------------------------------------------------------------

/** One edit of a token; together they cover flips, truncation, extra/missing segments and re-spellings. */
export type Mutation =
  | { kind: 'flip' | 'insert', at: number, char: string }
  | { kind: 'delete' | 'truncate' | 'case', at: number }
  | { kind: 'extra-segment', segment: string }
  | { kind: 'drop-segment' | 'duplicate-segment', index: number }
  | { kind: 'swap-segments', first: number, second: number }

const tokenChar = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...B64URL.split('')) }, { weight: 1, arbitrary: headerChar })

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('flip' as const, 'insert' as const), at: fc.nat(), char: tokenChar }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const, 'case' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extra-segment' as const), segment: fc.string({ unit: fc.constantFrom(...B64URL.split('')), maxLength: 60 }) }),
  fc.record({ kind: fc.constantFrom('drop-segment' as const, 'duplicate-segment' as const), index: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant('swap-segments' as const), first: fc.nat({ max: 2 }), second: fc.nat({ max: 2 }) })
)

export function applyMutation (token: string, edit: Mutation): string {
  const parts = token.split('.')
  switch (edit.kind) {
    case 'flip': {
      const at = edit.at % Math.max(1, token.length)
      return token.slice(0, at) + edit.char + token.slice(at + 1)
    }
    case 'insert': {
      const at = edit.at % (token.length + 1)
      return token.slice(0, at) + edit.char + token.slice(at)
    }
    case 'delete': {
      const at = edit.at % Math.max(1, token.length)
      return token.slice(0, at) + token.slice(at + 1)
    }
    case 'truncate': return token.slice(0, edit.at % Math.max(1, token.length))
    case 'case': {
      const at = edit.at % Math.max(1, token.length)
      const char = token.charAt(at)
      const swapped = char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase()
      return token.slice(0, at) + swapped + token.slice(at + 1)
    }
    case 'extra-segment': return `${token}.${edit.segment}`
    case 'drop-segment': return parts.filter((_, index) => index !== edit.index % parts.length).join('.')
    case 'duplicate-segment': {
      const index = edit.index % parts.length
      return [...parts.slice(0, index + 1), parts[index] ?? '', ...parts.slice(index + 1)].join('.')
    }
    case 'swap-segments': {
      const copy = [...parts]
      const first = edit.first % parts.length
      const second = edit.second % parts.length
      copy[first] = parts[second] ?? ''
      copy[second] = parts[first] ?? ''
      return copy.join('.')
    }
  }
}

/** The token as the server reads it: an HTTP parser drops trailing spaces and tabs of a header value. */
export function asReceived (value: string): string {
  return value.replace(/[ \t]+$/, '')
}

const JOSE_FIELDS = ['alg', 'typ', 'kid', 'crit', 'b64', 'jku', 'x5u', 'jwk'] as const

/**
 * A JOSE header an attacker would try: `alg` confusion, `kid` injection, keys named by the token (`jku`, `x5u`,
 * `jwk`), `crit`. Mostly the genuine header with one or two fields changed, added or dropped (what gets past a
 * loose header check), sometimes a header made of random fields only.
 */
export function joseHeader (genuine: Readonly<Record<string, unknown>>, selfUrl: string): fc.Arbitrary<Record<string, unknown>> {
  const realKid = String(genuine.kid)
  const anyJson = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }))
  const fields = {
    alg: fc.oneof(fc.constantFrom('none', 'None', 'NONE', 'nOnE', '', 'HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519', 'eddsa'), anyJson),
    typ: fc.oneof(fc.constantFrom('at+jwt', 'AT+JWT', 'application/at+jwt', 'JWT', 'jwt', ''), anyJson),
    kid: fc.oneof(fc.constantFrom(realKid, `${realKid} `, realKid.toUpperCase(), '../../../../../../dev/null', '/dev/null', "x' UNION SELECT '1';--", '|sleep 10', '{"$ne":null}', 'k'.repeat(3000)), anyJson),
    crit: fc.oneof(fc.constantFrom(['foo'], [], ['alg'], ['exp', 'exp'], ['b64']), anyJson),
    b64: fc.boolean(),
    jku: fc.constantFrom(`${selfUrl}/jwks.json`, 'http://127.0.0.1:9/jwks.json'),
    x5u: fc.constant(`${selfUrl}/cert.pem`),
    jwk: fc.record({ kty: fc.constantFrom('OKP', 'oct', 'RSA'), crv: fc.constant('Ed25519'), x: fc.string({ unit: fc.constantFrom(...B64URL.split('')), maxLength: 43 }), k: fc.constant('') })
  }
  const nearGenuine = fc.record({
    values: fc.record(fields),
    set: fc.subarray([...JOSE_FIELDS], { minLength: 0, maxLength: 2 }),
    drop: fc.subarray(['alg', 'typ', 'kid'], { maxLength: 1 })
  }).map(({ values, set, drop }) => {
    const header: Record<string, unknown> = { ...genuine }
    for (const key of drop) Reflect.deleteProperty(header, key)
    for (const key of set) header[key] = values[key]
    return header
  })
  return fc.oneof({ weight: 3, arbitrary: nearGenuine }, { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) })
}

export function base64url (value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url')
}

// ---- Cookies ------------------------------------------------------------------------------------------------------

const cookieNameChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-.^_`|~'.split(''))

/** A Cookie header: random pairs, `authgate_rt` often and several times, odd values, sometimes one huge value. */
export function cookieHeader (refreshName: string, maxBytes: number): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(refreshName, refreshName, ` ${refreshName}`, refreshName.toUpperCase(), `${refreshName}[]`, 'authgate_did', '__proto__', 'constructor') },
    { weight: 2, arbitrary: fc.string({ unit: cookieNameChar, minLength: 1, maxLength: 12 }) }
  )
  const value = fc.oneof(
    { weight: 4, arbitrary: headerValue(60).map((text) => text.replace(/;/g, '')) },
    { weight: 2, arbitrary: fc.constantFrom('', '""', '"x"', 'j:{"$ne":""}', '{"$ne":null}', '%00', '%zz', '=', 'a=b', 'A'.repeat(43), `${'A'.repeat(42)}=`, 'null', 'undefined', '[object Object]') },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: maxBytes }).map((size) => 'A'.repeat(size)) }
  )
  const pairs = fc.array(fc.tuple(name, value), { minLength: 0, maxLength: 6 })
  return pairs.map((list) => list.map(([key, text]) => `${key}=${text}`).join('; ').slice(0, maxBytes))
}

// ---- Paths --------------------------------------------------------------------------------------------------------

const SEGMENTS = [
  '..', '.', '%2e', '%2E', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '..;', '..;x', ';', ';x', '%2f', '%2F', '%5c', '%5C', '\\',
  '..%2f', '%2e%2e%2f', '%252e%252e%252f', '%25', '%', '%zz', '%00', '\u0000', '%0a', 'é', '%C3%A9', '%ff', '\u200b',
  'admin', 'ADMIN', 'Admin', '%61dmin', '%41DMIN', 'admin.', 'admin%20', 'admin;x', 'api', 'public', 'users', 'x', '', ''
]
const PLAIN = ['admin', 'users', 'api', 'public', 'x', 'whoami', 'sessions', 'me', 'logout-all', 'refresh']
const PREFIXES = ['/public', '/api', '/admin', '/ADMIN', '/Admin', '/%61dmin', '/admin;x', '/admin.', '', '/', '//admin', '/auth', '/ws', '/healthz', '/.well-known']

export interface PathCase { path: string, tokenKind: 'none' | 'user' | 'admin', method: 'GET' | 'POST' | 'DELETE' }

const tokenKind = fc.constantFrom('none' as const, 'user' as const, 'admin' as const)
const method = fc.constantFrom('GET' as const, 'GET' as const, 'GET' as const, 'POST' as const, 'DELETE' as const)
const query = fc.constantFrom('', '', '?x=1', '?a=%2e%2e', '?/../admin')

/** Random segments after a prefix: odd spellings of every kind, mixed with plain ones. */
const randomPath: fc.Arbitrary<string> = fc.record({
  prefix: fc.constantFrom(...PREFIXES),
  // Plain segments weigh as much as the tricks: many targets must pass the path rules and meet the route policy.
  segments: fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...PLAIN) },
    { weight: 4, arbitrary: fc.constantFrom(...SEGMENTS) },
    { weight: 1, arbitrary: headerValue(6).map((text) => text.replace(/[ ?#]/g, '')) }
  ), { maxLength: 6 }),
  upper: fc.array(fc.nat({ max: 3 }).map((roll) => roll === 0), { maxLength: 8 })
}).map(({ prefix, segments, upper }) => {
  // Case changes segment by segment, so `/Admin/users` and `/admin/USERS` both occur.
  const cased = segments.map((segment, index) => upper[index] === true ? segment.toUpperCase() : segment)
  return (segments.length === 0 ? prefix : `${prefix}/${cased.join('/')}`) || '/'
})

const UP = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '..;', '..;x', '%252e%252e', '..\\', '.', '']
const SEP = ['/', '%2f', '%2F', '\\', '%5c', '//', '/./', '%252f']
const AIM = ['admin', 'ADMIN', 'Admin', '%61dmin', '%2561dmin', 'admin;x', 'admin.', 'admin%00', 'api']

/** Traversal-shaped targets: from a weaker prefix, climb out and aim at /admin (or /api), in many spellings. */
const bypassPath: fc.Arbitrary<string> = fc.record({
  from: fc.constantFrom('/public', '/public/x', '/api', '/api/x', '/', '/x', '/%2e'),
  climbs: fc.array(fc.record({ up: fc.constantFrom(...UP), sep: fc.constantFrom(...SEP) }), { minLength: 1, maxLength: 3 }),
  aim: fc.constantFrom(...AIM),
  rest: fc.constantFrom('', '/users', '/users/', '/%2e', '/x%2f..%2fusers')
}).map(({ from, climbs, aim, rest }) => `${from}${climbs.map(({ up, sep }) => `/${up}`.replace(/^\/$/, '') + sep).join('')}${aim}${rest}`.replace(/^([^/])/, '/$1'))

export const pathCase: fc.Arbitrary<PathCase> = fc.record({
  path: fc.oneof(randomPath, bypassPath),
  query,
  tokenKind,
  method
}).map(({ path, query: search, tokenKind: kind, method: verb }) => ({ path: path + search, tokenKind: kind, method: verb }))

/**
 * The path as the most lenient upstream could read it: percent-decoded up to three times, `\` as `/`, NUL and
 * matrix parameters dropped, trailing dots and spaces dropped, case folded, dot segments resolved, empty ones removed.
 * If this reading is under /admin, the request had better have been judged by the /admin policy.
 */
export function lenientPath (url: string): string {
  let path = url.split('?')[0] ?? ''
  for (let round = 0; round < 3; round++) {
    try {
      const decoded = decodeURIComponent(path)
      if (decoded === path) break
      path = decoded
    } catch {
      break
    }
  }
  const out: string[] = []
  for (const raw of path.replace(/\\/g, '/').split('\u0000').join('').split('/')) {
    const bare = raw.split(';')[0] ?? ''
    if (bare === '..') {
      out.pop()
      continue
    }
    const segment = bare.replace(/[. ]+$/, '').toLowerCase()
    if (segment !== '') out.push(segment)
  }
  return `/${out.join('/')}`
}
