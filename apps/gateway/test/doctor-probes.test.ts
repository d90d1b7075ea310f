// `authgate doctor` probes the drop-list (issue #11 item 8): against the gateway every untrusted header stays
// behind; against a naive proxy that copies every header the same probe reports what reached the upstream.
import t from 'tap'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { forgedIdentityLines, runProbes, untrustedHeaderLines } from '../src/cli/doctor-probes.js'
import { parseConfig } from '../src/config.js'
import { startGateway, startUpstream, type TeardownHost } from './helpers.js'

/** A proxy that passes every request header on unchanged: what the probe exists to catch. */
async function naiveProxy (t: TeardownHost, upstreamPort: number): Promise<number> {
  const server = createServer((incoming, outgoing) => {
    const forwarded = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outgoing)
    })
    incoming.pipe(forwarded)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  return (server.address() as AddressInfo).port
}

t.test('the untrusted-header probe passes against the gateway and fails against a proxy that copies headers', async (t) => {
  const upstream = await startUpstream(t)
  const raw = {
    headers: { drop: ['x-tenant-*'], pass: ['cf-ipcountry'] },
    routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }, { prefix: '/api/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] }]
  }
  const gateway = await startGateway(t, raw)
  const config = parseConfig({ ...raw, tokens: { keys: [], issuer: 'i', audience: 'a' } })
  const lines = untrustedHeaderLines(config.headerLists)
  t.ok(lines.some((line) => line.startsWith('x-tenant-doctor:')), 'a configured family is probed')
  t.notOk(lines.some((line) => line.startsWith('cf-ipcountry:')), 'a passed header is not')
  const good = await runProbes({ host: '127.0.0.1', port: gateway.port }, config.routes, config.headerLists)
  const probe = good.find((result) => result.probe.startsWith('untrusted proxy headers'))
  t.equal(probe?.ok, true, probe?.detail ?? 'no probe result')
  t.equal(probe?.status, 200, 'the probe reached the upstream through the gateway')
  t.same(good.filter((result) => !result.ok).map((result) => `${result.probe}: ${result.detail}`), [], 'every probe passes against the gateway')
  t.ok(good.some((result) => result.probe === 'path /api/admin.json'), 'format-suffix spellings are probed')

  const naive = await naiveProxy(t, upstream.port)
  const bad = await runProbes({ host: '127.0.0.1', port: naive }, config.routes, config.headerLists)
  const caught = bad.find((result) => result.probe.startsWith('untrusted proxy headers'))
  t.equal(caught?.ok, false)
  t.match(caught?.detail, /the upstream received x-forwarded-host|the upstream received forwarded/)
})

t.test('the forged-identity probe also sends the configured claim headers; a proxy that copies them is caught', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => { response.writeHead(200, { 'content-type': 'application/json' }); response.end(JSON.stringify(request.headers)) })
  const raw = { headers: { claims: { 'x-tenant': 'org_id' }, preset: 'oauth2-proxy' }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] }
  const gateway = await startGateway(t, raw)
  const config = parseConfig({ ...raw, tokens: { keys: [], issuer: 'i', audience: 'a' } })
  const lines = forgedIdentityLines(config.claimHeaders)
  t.ok(lines.some((line) => line.startsWith('x-tenant:')) && lines.some((line) => line.startsWith('x_tenant:')))
  t.ok(lines.some((line) => line.startsWith('x-auth-request-preferred-username:')))
  const good = await runProbes({ host: '127.0.0.1', port: gateway.port }, config.routes, config.headerLists, config.claimHeaders)
  t.equal(good.find((result) => result.probe === 'forged identity headers')?.ok, true)
  // A proxy that copies only the claim header (and nothing else of the probe) is still caught.
  const server = createServer((incoming, outgoing) => {
    outgoing.writeHead(200, { 'content-type': 'application/json' })
    outgoing.end(JSON.stringify({ 'x-tenant': incoming.headers['x-tenant'] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }) }))
  const bad = await runProbes({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }, config.routes, config.headerLists, config.claimHeaders)
  t.equal(bad.find((result) => result.probe === 'forged identity headers')?.ok, false)
})
