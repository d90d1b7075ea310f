// The extra claims kept from a verified external token (tokens/trusted-issuers/extra-claims.ts), for the gateway's
// headers.claims: bounded in count and bytes, simple values only, never a prototype key nor a member authgate maps.
import t from 'tap'
import { MAX_EXTRA_BYTES, MAX_EXTRA_CLAIMS, extraClaims } from '../src/tokens/trusted-issuers/extra-claims.js'

t.test('simple top-level claims are kept as own properties; objects, nulls and odd values are not', async (t) => {
  const kept = extraClaims({ org_id: 'acme', preferred_username: 'alice', 'https://example.com/tenant': 't1', level: 3, admin: false, groups: ['a', 'b'], nested: { a: 1 }, nothing: null, inf: Number.POSITIVE_INFINITY, mixed: ['a', 1], 'with space': 'x', cr: 'a\r\nb' })
  t.same(kept, { org_id: 'acme', preferred_username: 'alice', 'https://example.com/tenant': 't1', level: 3, admin: false, groups: ['a', 'b'] })
  t.ok(Object.isFrozen(kept.groups), 'lists are frozen copies')
})

t.test('prototype keys and the members authgate maps are never copied', async (t) => {
  const payload = JSON.parse('{"__proto__":{"roles":["admin"]},"constructor":"x","prototype":"y","sid":"victim","roles":["admin"],"sub":"s","iss":"i","aud":"a","exp":1,"iat":1,"nbf":1,"jti":"j","email":"e","name":"n","ok":"yes"}') as Record<string, unknown>
  const kept = extraClaims(payload)
  t.same(Object.keys(kept), ['ok'])
  t.equal(Object.getPrototypeOf(kept), Object.prototype, 'the prototype is untouched')
  t.equal((kept as { roles?: unknown }).roles, undefined)
})

t.test('bounded: at most MAX_EXTRA_CLAIMS claims and MAX_EXTRA_BYTES in all; an oversize value is skipped, not cut', async (t) => {
  const many = Object.fromEntries(Array.from({ length: MAX_EXTRA_CLAIMS + 10 }, (_, index) => [`c${index}`, 'v']))
  t.equal(Object.keys(extraClaims(many)).length, MAX_EXTRA_CLAIMS)
  const big = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`b${index}`, 'x'.repeat(1000)]))
  const kept = extraClaims(big)
  const bytes = Object.entries(kept).reduce((sum, [name, value]) => sum + name.length + String(value).length, 0)
  t.ok(bytes <= MAX_EXTRA_BYTES, `${bytes} bytes kept`)
  t.ok(Object.keys(kept).length >= 7, 'as many as fit')
  t.same(extraClaims({ long: 'x'.repeat(1025), short: 'y' }), { short: 'y' })
})

t.test('the byte bound counts UTF-8 bytes, not UTF-16 code units', async (t) => {
  // 1000 three-byte characters: 3000 bytes each, so only two fit in MAX_EXTRA_BYTES (three would by .length).
  const wide = Object.fromEntries(Array.from({ length: 5 }, (_, index) => [`w${index}`, '€'.repeat(1000)]))
  const kept = extraClaims(wide)
  const bytes = Object.entries(kept).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(String(value)), 0)
  t.ok(bytes <= MAX_EXTRA_BYTES, `${bytes} bytes kept`)
  t.equal(Object.keys(kept).length, 2)
})
