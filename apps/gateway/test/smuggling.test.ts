// B.27 over a raw socket: ambiguous framing is answered 400 with the connection closed, and the upstream sees at
// most the one well-framed request; nothing is attributed to another request's token.
import t from 'tap'
import { rawRequest, startGateway, startUpstream } from './helpers.js'

t.test('ambiguous message framing is refused before anything is proxied', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }, { prefix: '/api', upstream: upstream.url, auth: 'required' }] })
  const smuggled = 'GET /api/secret HTTP/1.1\r\nHost: gw\r\n\r\n'
  const cases: Record<string, string> = {
    'CL and TE': `POST /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    'TE chunked, identity': `POST /public/a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
    'CL 5, 6': 'POST /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 5, 6\r\n\r\nhello!',
    'obs-fold': 'GET /public/a HTTP/1.1\r\nHost: gw\r\nX-Folded: a\r\n b\r\n\r\n',
    'bare LF': 'GET /public/a HTTP/1.1\nHost: gw\nX-A: b\n\n'
  }
  for (const [name, request] of Object.entries(cases)) {
    const before = upstream.seen.length
    const answer = await rawRequest(gateway.port, request)
    t.equal(answer.status, 400, name)
    t.equal(upstream.seen.length, before, `${name}: the upstream saw nothing`)
  }
  // A GET with a body and a pipelined second request: the second one, without a token, must not reach /api.
  const pipelined = `GET /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`
  await rawRequest(gateway.port, pipelined)
  t.notOk(upstream.seen.some((seen) => seen.url.startsWith('/api')), 'nothing reached /api without a token')
  t.ok(upstream.seen.length <= 1)
})
