// Headers upstream frameworks and platforms believe because, behind their own proxy, only that proxy could set them
// (issue #11 item 8), written out here as an attacker would send them (independently of the gateway's own list),
// and upstream Location spellings of the upstream's own origin (item 10).

export const FORGED_VALUE = 'forged-by-client'

/** Routing overrides, scheme and host hints, client-IP headers, each as `Name: value`. */
export const ROUTING_AND_HINTS: readonly string[] = [
  'X-Original-URL: /admin/users', 'X-Rewrite-URL: /admin/users', 'X-Original-URI: /admin/users', 'X-Forwarded-Prefix: /evil',
  'X-Forwarded-Path: /admin', 'X-Forwarded-Uri: /admin', 'X-HTTP-Method-Override: DELETE', 'X-Envoy-Original-Path: /admin',
  'X-Forwarded-Ssl: on', 'X-Forwarded-Scheme: https', 'X-Url-Scheme: https', 'Front-End-Https: on', 'X-Host: evil.example',
  'X-Forwarded-Server: evil.example', 'X-Original-Host: evil.example', 'True-Client-IP: 203.0.113.66', 'X-Client-IP: 203.0.113.66',
  'X-Real-IP: 203.0.113.66', 'CF-Connecting-IP: 203.0.113.66', 'Fastly-Client-IP: 203.0.113.66', 'X-Cluster-Client-IP: 203.0.113.66',
  'X-Originating-IP: 203.0.113.66', 'X_Real_IP: 203.0.113.66', 'x-forwarded-host: evil.example', 'X-Forwarded-Port: 8443',
  'Forwarded: for=203.0.113.66;host=evil.example;proto=https', 'X-Original-Forwarded-For: 203.0.113.66', 'X-Original-Proto: https',
  'X-Forwarded-Anything: x', 'Proxy-Client-IP: 203.0.113.66', 'WL-Proxy-Client-IP: 203.0.113.66', 'Fly-Client-IP: 203.0.113.66',
  'X-Vercel-Forwarded-For: 203.0.113.66', 'CF-Visitor: {"scheme":"https"}', 'X-IISNode-Https: on', 'X-AppEngine-User-IP: 203.0.113.66'
].map((line) => line.replace(/: .*$/, (value) => `${value}-${FORGED_VALUE}`))

/** Identity headers of other authenticating proxies and platforms. */
export const FOREIGN_PLATFORM_IDENTITY: readonly string[] = [
  'X-Auth-Request-User: admin', 'X-Auth-Request-Groups: admin', 'X-Auth-Request-Preferred-Username: admin',
  'X-Forwarded-Preferred-Username: admin', 'X-Forwarded-Groups: admin', 'X-Forwarded-Access-Token: t', 'Remote-User: admin',
  'Remote-Groups: admin', 'Remote-Email: admin@example.test', 'X-Webauth-User: admin', 'X-Ms-Client-Principal-Name: admin',
  'X-Ms-Client-Principal: e30=', 'X-Ms-Client-Principal-Id: 1', 'Cf-Access-Authenticated-User-Email: admin@example.test',
  'Cf-Access-Jwt-Assertion: x', 'X-Goog-Authenticated-User-Email: accounts.google.com:admin@example.test',
  'X-Goog-Authenticated-User-Id: 1', 'X-Goog-Iap-Jwt-Assertion: x', 'X-Amzn-Oidc-Identity: admin', 'X-Amzn-Oidc-Data: x',
  'X-Pomerium-Claim-Email: admin@example.test', 'X-Pomerium-Jwt-Assertion: x', 'X-Consumer-Username: admin',
  'X-Authenticated-Userid: admin', 'X-Vouch-User: admin', 'X-Authentik-Username: admin', 'X-Forwarded-Client-Cert: By=x;URI=admin',
  'X-SSL-Client-S-DN: CN=admin', 'X-User-Email: admin@example.test', 'X_Amzn_Oidc_Identity: admin',
  'X-Forwarded-Tls-Client-Cert: x', 'X-Forwarded-Tls-Client-Cert-Info: Subject="CN=admin"', 'X-Amzn-Mtls-Clientcert: x',
  'X-SSL-Cert: x', 'X-AppEngine-User-Email: admin@example.test', 'X-AppEngine-Cron: true', 'X-CloudTasks-QueueName: q',
  'X-Apigateway-Api-Userinfo: e30', 'X-Endpoint-Api-Userinfo: e30', 'X-IISNode-Auth-User: admin'
].map((line) => line.replace(/: .*$/, (value) => `${value}-${FORGED_VALUE}`))

/** Every arrival's header names whose value carries the forged marker. */
export function forgedArrivals (headers: Record<string, string | string[] | undefined>): string[] {
  return Object.entries(headers).filter(([, value]) => String(value).includes(FORGED_VALUE)).map(([name]) => name)
}

/** Locations an upstream on 127.0.0.1:`port` may send that all lead a browser back to it. */
export function upstreamLocationSpellings (port: number): string[] {
  const path = '/public/next'
  return [
    `//127.0.0.1:${port}${path}`, `/\\127.0.0.1:${port}${path}`, `\\\\127.0.0.1:${port}${path}`, `/\t/127.0.0.1:${port}${path}`,
    `http:\\\\127.0.0.1:${port}${path}`, `http://localhost:${port}${path}`, `HTTP://LocalHost:${port}${path}`, `http://localhost.:${port}${path}`,
    `http://127.0.0.1.:${port}${path}`, `http://[::ffff:127.0.0.1]:${port}${path}`, `http://[::1]:${port}${path}`, `http://2130706433:${port}${path}`,
    `http://0x7f000001:${port}${path}`, `http://user:pass@127.0.0.1:${port}${path}`, `https://127.0.0.1:${port}${path}`,
    `http:127.0.0.1:${port}${path}`, `http:/127.0.0.1:${port}${path}`, `https:127.0.0.1:${port}${path}`
  ]
}
