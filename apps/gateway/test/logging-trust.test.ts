// Logs never hold credentials (Authorization, cookies, assertions), even at trace level and when an upstream
// fails; with `server.trustProxy` the forwarding chain is extended instead of replaced.
import t from 'tap'
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
})
