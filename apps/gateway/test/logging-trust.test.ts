// Logs never hold credentials (Authorization, cookies, assertions), even at trace level and when an upstream
// fails; with `server.trustProxy` the forwarding chain is extended instead of replaced.
import t from 'tap'
import { AuthError } from '@authgate/fastify'
import { rawGet, rawRequest, startGateway, startUpstream } from './helpers.js'

t.test('no token, cookie or assertion reaches the log', async (t) => {
  const upstream = await startUpstream(t)
  const lines: string[] = []
  const gateway = await startGateway(t, {
    log: { level: 'trace' },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }, { prefix: '/down', upstream: 'http://127.0.0.1:1', auth: 'required' }]
  }, { logger: undefined, logStream: { write: (line: string) => { lines.push(line) } } })
  const token = gateway.token('u1', ['user'])
  const headers = { authorization: `Bearer ${token}`, cookie: 'authgate_rt=refresh-secret-value; theme=dark' }
  t.equal((await fetch(`${gateway.origin}/api/x`, { headers })).status, 200)
  t.equal((await fetch(`${gateway.origin}/down/x`, { headers })).status, 502)
  t.equal((await fetch(`${gateway.origin}/api/x`, { headers: { authorization: `Bearer ${token}x` } })).status, 401)
  const assertion = upstream.seen[0]?.headers['x-authgate-assertion'] as string
  t.ok(lines.length > 3, 'the log was written')
  const log = lines.join('')
  t.notMatch(log, token.split('.')[2] ?? token, 'no access token (signature part)')
  t.notMatch(log, 'refresh-secret-value', 'no refresh cookie')
  t.notMatch(log, (assertion.split('.')[2]) ?? 'never', 'no assertion')
})

t.test('server.trustProxy: the client chain is kept and the socket address appended', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { server: { trustProxy: true }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  await rawRequest(gateway.port, rawGet('/public/x', ['X-Forwarded-For: 203.0.113.7', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: app.example']))
  const seen = upstream.seen.at(-1)!
  t.equal(seen.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  t.equal(seen.headers['x-forwarded-proto'], 'https')
  t.equal(seen.headers['x-forwarded-host'], 'app.example')
  t.equal(seen.headers['x-forwarded-port'], '443', 'the default port of the forwarded scheme')
  t.equal(seen.headers.forwarded, 'for=203.0.113.7;proto=https;host="app.example", for=127.0.0.1', 'Forwarded rebuilt from the same vouched-for values')
})

t.test('L1: with a trusted proxy only the vouched-for part of X-Forwarded-For is kept; trustProxy 0 is off', async (t) => {
  const upstream = await startUpstream(t)
  // One hop trusted: the socket (127.0.0.1) is the proxy; the last XFF entry is the client it saw; anything the
  // client wrote before that is its own invention.
  const gateway = await startGateway(t, { server: { trustProxy: 1 }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  await rawRequest(gateway.port, rawGet('/public/x', ['X-Forwarded-For: 6.6.6.6, 203.0.113.7']))
  t.equal(upstream.seen.at(-1)?.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  const off = await startGateway(t, { server: { trustProxy: 0 }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  await rawRequest(off.port, rawGet('/public/x', ['X-Forwarded-For: 6.6.6.6', 'X-Forwarded-Host: evil.example', 'X-Forwarded-Proto: https']))
  const seen = upstream.seen.at(-1)!
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  t.equal(seen.headers['x-forwarded-proto'], 'http')
  t.equal(seen.headers['x-forwarded-host'], undefined)
})

t.test('L5: query values never reach the log verbatim (request lines and refused targets)', async (t) => {
  const upstream = await startUpstream(t)
  const lines: string[] = []
  const gateway = await startGateway(t, {
    log: { level: 'info' },
    routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }]
  }, { logger: undefined, logStream: { write: (line: string) => { lines.push(line) } } })
  t.equal((await fetch(`${gateway.origin}/public/cb?token=query-secret-1&state=abc`)).status, 200)
  t.equal(upstream.seen[0]?.url, '/public/cb?token=query-secret-1&state=abc', 'the upstream still gets the query')
  t.equal((await rawRequest(gateway.port, rawGet('/public/../x?code=query-secret-2'))).status, 400)
  const log = lines.join('')
  t.match(log, /\/public\/cb\?token=\[redacted\]&state=\[redacted\]/, 'names kept, values redacted')
  t.notMatch(log, 'query-secret-1')
  t.notMatch(log, 'query-secret-2')
})

t.test('L6: a signing-key or store outage while proxying is 503 with Retry-After, not a flat 500', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }] })
  const token = gateway.token('u1')
  const tokens = gateway.app.authgate.tokens as { signAssertion: (...args: unknown[]) => string }
  for (const code of ['AUTH_KEYS_UNAVAILABLE', 'AUTH_STORE_UNAVAILABLE'] as const) {
    tokens.signAssertion = () => { throw new AuthError(code) }
    const answer = await fetch(`${gateway.origin}/api/x`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(answer.status, 503, code)
    t.equal(answer.headers.get('retry-after'), '5')
    t.match(await answer.json(), { statusCode: 503, code })
  }
  tokens.signAssertion = () => { throw new AuthError('AUTH_KEYS_UNAVAILABLE', { retryAfter: 30 }) }
  t.equal((await fetch(`${gateway.origin}/api/x`, { headers: { authorization: `Bearer ${token}` } })).headers.get('retry-after'), '30')
  tokens.signAssertion = () => { throw new Error('a bug') }
  const bug = await fetch(`${gateway.origin}/api/x`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(bug.status, 500, 'other failures are still a generic 500')
  t.match(await bug.json(), { code: 'GATEWAY_INTERNAL' })
  t.equal(upstream.seen.length, 0)
})
