// The bench's verdicts on a run (lib/rounds.mjs) and its medians (lib/stats.mjs): what makes a scenario fail rather
// than report a number that measured something else. No servers.
import t from 'tap'
import { verdict, warmupVerdict } from './lib/rounds.mjs'
import { median } from './lib/stats.mjs'

const ok = { requests: 1000, errors: 0, statusCodes: { 200: 1000 } }

t.test('gateway-auth-external fails a run that fetched the JWKS more than once', async (t) => {
  t.equal(verdict('gateway-auth-external', { ...ok, jwksFetches: 0 }), undefined)
  t.equal(verdict('gateway-auth-external', { ...ok, jwksFetches: 1 }), undefined, 'one fetch (a key refresh) is allowed')
  t.match(verdict('gateway-auth-external', { ...ok, jwksFetches: 2 }), /JWKS was fetched 2 times/)
  t.match(verdict('gateway-auth-external', { ...ok, jwksFetches: Number.NaN }), /JWKS/, 'a count that could not be read fails too')
  t.match(warmupVerdict('gateway-auth-external', { ...ok, jwksFetches: 5 }), /JWKS/, 'in the warm-up as well')
  t.equal(verdict('gateway-auth-eddsa', { ...ok, jwksFetches: 5 }), undefined, 'other scenarios fetch no JWKS')
})

t.test('a warm-up passes with nothing completed only when nothing failed either', async (t) => {
  t.equal(warmupVerdict('gateway-auth-eddsa', { requests: 0, errors: 0, statusCodes: {} }), undefined)
  t.match(warmupVerdict('gateway-auth-eddsa', { requests: 0, errors: 12, statusCodes: { 500: 12 } }), /no request completed/)
  t.match(warmupVerdict('refresh', { requests: 10, errors: 1, statusCodes: { 401: 1 } }), /1 failed refreshes/)
  t.match(verdict('gateway-auth-eddsa', { requests: 0, errors: 0, statusCodes: {} }), /no request completed/, 'a measured run must complete')
})

t.test('a median leaves NaN out (a run whose CPU could not be read) instead of becoming NaN', async (t) => {
  t.equal(median([3, Number.NaN, 1, 2]), 2)
  t.equal(median([Number.NaN, 4, 2]), 3)
  t.ok(Number.isNaN(median([Number.NaN])))
  t.ok(Number.isNaN(median([])))
})
