// server.requestTimeout / minBodyRate / idleTimeout and routes[].maxConcurrent (issue #11): safe defaults on, both
// spellings of minBodyRate, and every bad value refused with the key named.
import t from 'tap'
import { ConfigError, parseConfig } from '../src/config.js'

const minimal = { tokens: { keysDir: '/k' }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] }

function errorOf (input: Record<string, unknown>): string {
  try {
    parseConfig(input, { file: 'my.yaml' })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
  }
  throw new Error('expected a ConfigError')
}

t.test('defaults: a 60 s request deadline, 1 KiB/s after 10 s, 60 s idle, 64 slots per route', async (t) => {
  const config = parseConfig(minimal)
  t.match(config.server, { requestTimeoutMs: 60_000, minBodyRate: { bytesPerSecond: 1024, graceMs: 10_000 }, idleTimeoutMs: 60_000 })
  t.equal(config.routes[0]?.maxConcurrent, 64)
  t.equal(parseConfig({ ...minimal, server: { headersTimeout: '90s' } }).server.requestTimeoutMs, 90_000, 'the default request deadline is never shorter than the head deadline')
})

t.test('both spellings of minBodyRate; 0 turns it off', async (t) => {
  t.same(parseConfig({ ...minimal, server: { minBodyRate: 4096 } }).server.minBodyRate, { bytesPerSecond: 4096, graceMs: 10_000 })
  t.same(parseConfig({ ...minimal, server: { minBodyRate: '${RATE}' } }, { env: { RATE: '512' } }).server.minBodyRate, { bytesPerSecond: 512, graceMs: 10_000 }, 'a ${VAR} string of digits')
  t.throws(() => parseConfig({ ...minimal, server: { minBodyRate: '512' } }), /server\.minBodyRate: must be a whole number or an object/, 'literal text is not a number (no coercion since #12)')
  t.same(parseConfig({ ...minimal, server: { minBodyRate: { bytesPerSecond: 100, grace: '2s' } } }).server.minBodyRate, { bytesPerSecond: 100, graceMs: 2000 })
  t.same(parseConfig({ ...minimal, server: { minBodyRate: 0 } }).server.minBodyRate.bytesPerSecond, 0)
  t.match(parseConfig({ ...minimal, server: { requestTimeout: '5m', idleTimeout: '2s' } }).server, { requestTimeoutMs: 300_000, idleTimeoutMs: 2000 })
  t.equal(parseConfig({ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h', maxConcurrent: 8 }] }).routes[0]?.maxConcurrent, 8)
})

t.test('bad values are refused, the key named', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ server: { requestTimeout: 'soon' } }, /server\.requestTimeout/],
    [{ server: { requestTimeout: '0s' } }, /server\.requestTimeout: must be from 1 s to 1 d/],
    [{ server: { headersTimeout: '30s', requestTimeout: '10s' } }, /server\.requestTimeout: must not be shorter than server\.headersTimeout/],
    [{ server: { minBodyRate: -1 } }, /server\.minBodyRate: must be at least 0/],
    [{ server: { minBodyRate: '1KiB/s' } }, /server\.minBodyRate: must be a whole number or an object/],
    [{ server: { minBodyRate: { rate: 5 } } }, /server\.minBodyRate\.rate: unknown key/],
    [{ server: { minBodyRate: { grace: 'later' } } }, /server\.minBodyRate\.grace/],
    [{ server: { idleTimeout: '100ms' } }, /server\.idleTimeout: must be from 500 ms to 1 h/],
    [{ routes: [{ prefix: '/a', upstream: 'http://h', maxConcurrent: 0 }] }, /routes\[0\]\.maxConcurrent: must be at least 1/],
    [{ routes: [{ prefix: '/a', upstream: 'http://h', maxConcurrent: 2.5 }] }, /routes\[0\]\.maxConcurrent/]
  ]
  for (const [input, pattern] of cases) t.match(errorOf({ ...minimal, ...input }), pattern, String(pattern))
})
