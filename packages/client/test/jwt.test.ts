// Reading the token lifetime without verification (see src/jwt.ts for why that is acceptable).
import t from 'tap'
import { tokenLifetimeSeconds } from '../src/jwt.js'

const token = (payload: unknown): string => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`

t.test('lifetime is exp - iat, independent of the local clock', async (t) => {
  t.equal(tokenLifetimeSeconds(token({ iat: 1000, exp: 1900 })), 900)
  t.equal(tokenLifetimeSeconds(token({ iat: 1, exp: 3, name: 'é ü 漢' })), 2, 'UTF-8 payloads decode')
})

t.test('unreadable tokens yield undefined rather than throwing', async (t) => {
  t.equal(tokenLifetimeSeconds('opaque'), undefined)
  t.equal(tokenLifetimeSeconds('a.!!!.c'), undefined)
  t.equal(tokenLifetimeSeconds(token({ exp: 5 })), undefined)
  t.equal(tokenLifetimeSeconds(token({ iat: 5, exp: 5 })), undefined)
  t.equal(tokenLifetimeSeconds(token('string')), undefined)
})
