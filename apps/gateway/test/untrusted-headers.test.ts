// Issue #11 item 8: client headers that upstreams trust (routing overrides, scheme/host hints, client-IP headers,
// other proxies' and platforms' identity headers) never cross the gateway; `headers.drop` extends the list,
// `headers.pass` lets a named one through; the forwarding headers are always the gateway's own.
import t from 'tap'
import { parseConfig } from '../src/config.js'
import { DEFAULT_DROP } from '../src/untrusted-headers.js'
import { rawGet, rawRequest, startGateway, startUpstream } from './helpers.js'

/** One header per entry of the default list (a family is tried as `<prefix>probe`), each in two spellings. */
function forgedLines (): string[] {
  const names = DEFAULT_DROP.map((entry) => entry.endsWith('*') ? `${entry.slice(0, -1)}probe` : entry)
  return names.flatMap((name) => [`${name}: forged`, `${name.toUpperCase().replaceAll('-', '_')}: forged`])
}

t.test('every header of the default drop-list (and its underscore spelling) is removed, on every kind of route', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' }
    ]
  })
  const token = gateway.token('u1', ['user'])
  const lines = forgedLines()
  t.ok(lines.length > 100, `${lines.length} forged header lines`)
  for (const [path, extra] of [['/public/x', []], ['/api/x', [`Authorization: Bearer ${token}`]]] as const) {
    const answer = await rawRequest(gateway.port, rawGet(path, [...extra, ...lines, 'X-Kept: yes']))
    t.equal(answer.status, 200, path)
    const seen = upstream.seen.at(-1)!
    const leaked = Object.entries(seen.headers).filter(([, value]) => String(value).includes('forged')).map(([name]) => name)
    t.same(leaked, [], `${path}: no forged header reached the upstream`)
    t.equal(seen.headers['x-kept'], 'yes', 'an unrelated header still passes')
  }
})

/**
 * Written out independently of DEFAULT_DROP (a list built from it cannot notice a name missing from it): headers
 * that some upstream framework, platform or SDK believes, as a client would forge them.
 */
const INDEPENDENT = [
  'X-Original-URL', 'X-Original-URI', 'X-Original-Forwarded-For', 'X-Original-Host', 'X-Original-Proto', 'X-Original-Method',
  'X-Rewrite-URL', 'X-Forwarded-Prefix', 'X-Forwarded-Path', 'X-Forwarded-Uri', 'X-Forwarded-Ssl', 'X-Forwarded-Scheme',
  'X-Forwarded-Server', 'X-Forwarded-User', 'X-Forwarded-Email', 'X-Forwarded-Client-Cert', 'X-Forwarded-Tls-Client-Cert',
  'X-Forwarded-Tls-Client-Cert-Info', 'X-Forwarded-Anything', 'X-Amzn-Mtls-Clientcert', 'X-Amzn-Mtls-Clientcert-Leaf',
  'X-SSL-Client-Cert', 'X-SSL-Cert', 'X-SSL-Client-Verify', 'X-AppEngine-User-IP', 'X-AppEngine-User-Email',
  'X-AppEngine-Cron', 'X-AppEngine-QueueName', 'X-CloudTasks-QueueName', 'X-CloudTasks-TaskName',
  'X-Apigateway-Api-Userinfo', 'X-Endpoint-Api-Userinfo', 'Proxy-Client-IP', 'WL-Proxy-Client-IP', 'WL-Proxy-SSL',
  'Fly-Client-IP', 'X-Vercel-Forwarded-For', 'CF-Visitor', 'X-IISNode-Auth-User', 'X-Iisnode-Https', 'Remote-User',
  'X-Remote-User', 'X-Auth-Request-Email', 'X-Real-IP', 'True-Client-IP', 'X-Envoy-Original-Path', 'X-HTTP-Method-Override'
]

t.test('an independently written list of forged headers: none reaches the upstream; the gateway\'s own forwarding headers do', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  const lines = INDEPENDENT.flatMap((name) => [`${name}: forged`, `${name.replaceAll('-', '_')}: forged`])
  t.equal((await rawRequest(gateway.port, rawGet('/public/x', lines))).status, 200)
  const seen = upstream.seen.at(-1)!
  t.same(Object.entries(seen.headers).filter(([, value]) => String(value).includes('forged')).map(([name]) => name), [])
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1', 'set by the gateway after the drop')
  t.equal(seen.headers['x-forwarded-proto'], 'http')
  t.equal(seen.headers['x-forwarded-port'], String(gateway.port))
  t.equal(seen.headers.forwarded, 'for=127.0.0.1;proto=http')
})

t.test('headers.drop extends the list (names and families); headers.pass lets a named one through', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    headers: { drop: ['X-Internal-Secret', 'x-tenant-*'], pass: ['cf-ipcountry', 'X_Real_Client_Hint', 'cf-access-client-id'] },
    routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }]
  })
  await rawRequest(gateway.port, rawGet('/public/x', [
    'X-Internal-Secret: forged', 'X-Tenant-Id: forged', 'x_tenant_role: forged', 'CF-IPCountry: kept', 'X-Rewrite-URL: forged',
    'CF-Access-Client-Id: kept', 'CF-Access-Authenticated-User-Email: forged'
  ]))
  const seen = upstream.seen.at(-1)!
  for (const name of ['x-internal-secret', 'x-tenant-id', 'x_tenant_role', 'x-rewrite-url', 'cf-access-authenticated-user-email']) t.equal(seen.headers[name], undefined, name)
  t.equal(seen.headers['cf-ipcountry'], 'kept', 'passed by name')
  t.equal(seen.headers['cf-access-client-id'], 'kept', 'passed by name out of a dropped family')
})

t.test('headers.pass cannot let through identity, forwarding or hop-by-hop headers; entries are header names', async (t) => {
  const base = { tokens: { keys: [], issuer: 'i', audience: 'a' }, routes: [{ prefix: '/x', upstream: 'http://127.0.0.1:1', auth: 'none' }] }
  for (const name of ['x-user-id', 'X-Forwarded-For', 'forwarded', 'x_real_ip', 'connection', 'x-forwarded-user']) {
    t.throws(() => parseConfig({ ...base, headers: { pass: [name] } }), /headers\.pass\[0\]: cannot let/, name)
  }
  for (const name of ['x-original-url', 'X-Rewrite-URL', 'x_forwarded_prefix', 'x-forwarded-path', 'x-forwarded-uri', 'x-original-uri', 'x-http-method-override']) {
    t.throws(() => parseConfig({ ...base, headers: { pass: [name] } }), /headers\.pass\[0\]: cannot let .* through: upstreams route on it/, name)
  }
  t.throws(() => parseConfig({ ...base, headers: { pass: ['x-foo-*'] } }), /headers\.pass\[0\]: must be a header name/)
  t.throws(() => parseConfig({ ...base, headers: { drop: ['bad name'] } }), /headers\.drop\[0\]: must be a header name/)
  t.throws(() => parseConfig({ ...base, headers: { drop: 'x-a' } }), /headers\.drop: must be a list/)
  t.throws(() => parseConfig({ ...base, headers: { drop: ['x-a', 'content-*'] } }), /headers\.drop\[1\]: would drop content-length/)
  t.throws(() => parseConfig({ ...base, headers: { drop: ['Host'] } }), /headers\.drop\[0\]: would drop host/)
  t.same(parseConfig({ ...base, headers: { drop: ['X_A', 'x-b-*'] } }).headerLists, { drop: ['x-a', 'x-b-*'], pass: [] })
})

t.test('headers.drop / headers.pass entries: the schema\'s patterns, each problem named in the one list', async (t) => {
  const base = { tokens: { keys: [], issuer: 'i', audience: 'a' }, routes: [{ prefix: '/x', upstream: 'http://127.0.0.1:1', auth: 'none' }] }
  const dropExpected = 'headers.drop[0]: must be a header name, or a name prefix ending in * (x-internal-*)'
  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['drop an empty name', { drop: [''] }, dropExpected],
    // The Kelvin sign lower-cases to k: were it let in, `\u212A-x` would read as the k-x family's name.
    ['drop a Kelvin sign', { drop: ['\u212A-x'] }, dropExpected],
    ['pass a number', { pass: [1] }, 'headers.pass[0]: must be a header name']
  ]
  for (const [name, headers, line] of refused) {
    try {
      parseConfig({ ...base, headers }, { file: 'my.yaml' })
      t.fail(`${name}: accepted`)
    } catch (error) {
      t.same((error as { issues?: unknown }).issues, [line], name)
      t.match((error as Error).message, `my.yaml: invalid configuration (1 problem):\n  - ${line}`, `${name}: in the one list`)
    }
  }
  t.same(parseConfig({ ...base, headers: { drop: ['X_Foo-*'] } }).headerLists.drop, ['x-foo-*'], 'a family in any spelling is accepted, folded')
})

t.test('the WebSocket handshake gets the same treatment', async (t) => {
  const upstream = await startUpstream(t)
  const upgrades: Array<Record<string, unknown>> = []
  upstream.server.on('upgrade', (request, socket) => { upgrades.push(request.headers); socket.destroy() })
  const gateway = await startGateway(t, { routes: [{ prefix: '/ws', upstream: upstream.url, auth: 'required', websocket: true }] })
  const token = gateway.token('u1')
  await rawRequest(gateway.port, [
    'GET /ws/chat HTTP/1.1', 'Host: gateway.test', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `Authorization: Bearer ${token}`, ...forgedLines(), '', ''
  ].join('\r\n'), 1000)
  t.equal(upgrades.length, 1, 'the handshake reached the upstream')
  t.same(Object.entries(upgrades[0] ?? {}).filter(([, value]) => String(value).includes('forged')).map(([name]) => name), [])
  t.equal(upgrades[0]?.forwarded, 'for=127.0.0.1;proto=http')
})
