// Mutations of valid tokens (seeded, reproducible): verify never throws, and no spelling but the issued one is
// accepted, including re-spellings that decode to the same bytes (spare bits of the last base64url character).
import t from 'tap'
import { codeOf, service } from './helpers/keys.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const NOISE = `${ALPHABET}.=+/ \t\né\u0000\u200b{}"`

function prng (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}

function mutate (token: string, random: () => number): string {
  const at = Math.floor(random() * token.length)
  const char = NOISE[Math.floor(random() * NOISE.length)] ?? 'A'
  switch (Math.floor(random() * 4)) {
    case 0: return token.slice(0, at) + char + token.slice(at + 1)
    case 1: return token.slice(0, at) + token.slice(at + 1)
    case 2: return token.slice(0, at) + char + token.slice(at)
    default: return token.slice(0, at) + token.slice(at, at + 1 + Math.floor(random() * 20)).repeat(2) + token.slice(at + 1)
  }
}

for (const algorithm of ['EdDSA', 'ES256', 'HS256', 'RS256'] as const) {
  t.test(`${algorithm}: 3000 mutations, none accepted, none thrown`, async (t) => {
    const tokens = service(algorithm)
    const token = tokens.sign({ sub: 'u1', sid: 's1', roles: ['user'] }).token
    const random = prng(0xa11ce + algorithm.length)
    let accepted = 0
    let thrown = 0
    for (let i = 0; i < 3000; i++) {
      let mutated = mutate(token, random)
      if (random() < 0.3) mutated = mutate(mutated, random)
      if (mutated === token) continue
      try {
        if (tokens.verify(mutated).ok) {
          accepted++
          t.comment(`accepted: ${mutated}`)
        }
      } catch {
        thrown++
      }
    }
    t.equal(accepted, 0, 'no mutation accepted')
    t.equal(thrown, 0, 'verify never threw')
    t.equal(codeOf(tokens.verify(token)), 'OK', 'control')
  })
}

t.test('spare bits of the last signature character: same bytes, other spelling, refused', async (t) => {
  const tokens = service('HS256')
  const token = tokens.sign({ sub: 'u1', sid: 's1', roles: [] }).token
  const signature = token.slice(token.lastIndexOf('.') + 1)
  t.equal(signature.length, 43, '32 bytes: the last character carries 2 spare bits')
  const last = ALPHABET.indexOf(signature.slice(-1))
  const respelled = token.slice(0, -1) + (ALPHABET[last ^ 1] ?? '')
  t.same(Buffer.from(respelled.slice(respelled.lastIndexOf('.') + 1), 'base64url'), Buffer.from(signature, 'base64url'), 'decodes to the same bytes')
  t.equal(codeOf(tokens.verify(respelled)), 'AUTH_TOKEN_INVALID')
  t.equal(codeOf(tokens.verify(respelled)), 'AUTH_TOKEN_INVALID', 'also when fast-jwt has cached it as valid')
  t.equal(codeOf(tokens.verify(token)), 'OK')
})

t.test('random strings never throw', async (t) => {
  const tokens = service('EdDSA')
  const random = prng(42)
  let thrown = 0
  for (let i = 0; i < 3000; i++) {
    const length = Math.floor(random() * 400)
    let value = ''
    for (let j = 0; j < length; j++) value += NOISE[Math.floor(random() * NOISE.length)] ?? ''
    try {
      if (tokens.verify(value).ok) t.fail(`accepted ${value}`)
    } catch {
      thrown++
    }
  }
  t.equal(thrown, 0)
})
