// Issue #11 item 10: an upstream Location (or Content-Location) naming the upstream in any spelling a browser would
// follow to it is rewritten to the gateway's path; the upstream's address never reaches the client. A real
// upstream answers each spelling; the client reads what the gateway sent.
import t from 'tap'
import { rewriteLocation } from '../src/upstream-location.js'
import { startGateway, startUpstream } from './helpers.js'

function spellings (port: number): string[] {
  return [
    `//127.0.0.1:${port}/public/next`, `/\\127.0.0.1:${port}/public/next`, `\\\\127.0.0.1:${port}/public/next`, `\\/127.0.0.1:${port}/public/next`,
    `/\t/127.0.0.1:${port}/public/next`, `http:\\\\127.0.0.1:${port}/public/next`, `http:/127.0.0.1:${port}/public/next`, `http:127.0.0.1:${port}/public/next`,
    `https:127.0.0.1:${port}/public/next`, `HTTP:/\t127.0.0.1:${port}/public/next`, `http://127.0.0.1:${port}/public/next`,
    `http://localhost:${port}/public/next`, `HTTP://LOCALHOST:${port}/public/next`, `http://localhost.:${port}/public/next`,
    `http://127.0.0.1.:${port}/public/next`, `http://[::ffff:127.0.0.1]:${port}/public/next`, `http://[::1]:${port}/public/next`,
    `http://[0:0:0:0:0:ffff:7f00:1]:${port}/public/next`, `http://2130706433:${port}/public/next`, `http://0x7f.1:${port}/public/next`,
    `http://127.1:${port}/public/next`, `http://127.0.0.2:${port}/public/next`, `http://0.0.0.0:${port}/public/next`,
    `http://app.localhost:${port}/public/next`, `https://127.0.0.1:${port}/public/next`, `ws://127.0.0.1:${port}/public/next`,
    `http://user:secret@127.0.0.1:${port}/public/next`, `//127.0.0.1:${port}/public/next`.toUpperCase().replace('/PUBLIC/NEXT', '/public/next')
  ]
}

t.test('every spelling of the upstream origin in Location and Content-Location becomes the gateway path', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  let location = ''
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(302, { location, 'content-location': location }).end()
  })
  for (const spelling of spellings(upstream.port)) {
    location = spelling
    const answer = await fetch(`${gateway.origin}/public/x`, { redirect: 'manual' })
    t.equal(answer.headers.get('location'), '/public/next', JSON.stringify(spelling))
    t.equal(answer.headers.get('content-location'), '/public/next', `${JSON.stringify(spelling)} (Content-Location)`)
  }
  // Other hosts and ports, and relative references, are left as sent.
  const other = [`http://127.0.0.1:${upstream.port + 1}/x`, 'https://elsewhere.example/x', '//elsewhere.example/x', 'next', '/public/other?x=1']
  for (const spelling of other) {
    location = spelling
    const answer = await fetch(`${gateway.origin}/public/x`, { redirect: 'manual' })
    t.equal(answer.headers.get('location'), spelling, JSON.stringify(spelling))
  }
})

t.test('a repeated Location or Content-Location: the first, rewritten, is the only one the client gets', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  const next = `http://127.0.0.1:${upstream.port}/public/next`
  const other = `http://127.0.0.1:${upstream.port}/public/other`
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(302, ['location', next, 'location', other, 'content-location', other, 'content-location', next]).end()
  })
  const answer = await fetch(`${gateway.origin}/public/x`, { redirect: 'manual' })
  t.equal(answer.headers.get('location'), '/public/next')
  t.equal(answer.headers.get('content-location'), '/public/other')
})

t.test('default ports, trailing dots and case against upstreams on a name and on port 80', async (t) => {
  const mapping = (origin: string) => ({ upstream: new URL(origin), upstreamPrefix: '/v1', routePrefix: '/app' })
  t.equal(rewriteLocation('http://api.internal:80/v1/x', mapping('http://api.internal')), '/app/x')
  t.equal(rewriteLocation('//API.INTERNAL./v1/x', mapping('http://api.internal')), '/app/x')
  t.equal(rewriteLocation('https://api.internal:443/v1/x', mapping('https://api.internal')), '/app/x')
  t.equal(rewriteLocation('http://[::ffff:10.0.0.5]:8080/v1/x', mapping('http://10.0.0.5:8080')), '/app/x')
  t.equal(rewriteLocation('http://10.0.0.5:8081/v1/x', mapping('http://10.0.0.5:8080')), 'http://10.0.0.5:8081/v1/x')
  t.equal(rewriteLocation('http://localhost/v1/x', mapping('http://api.internal')), 'http://localhost/v1/x', 'loopback is not a named upstream')
})
