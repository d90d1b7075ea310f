// The trusted external issuer of `gateway-auth-external` (issue #14): an identity provider of its own, with its own
// EdDSA key, serving its JWKS on loopback as a real IdP does, so the gateway fetches the keys in the background as
// in production (tokens.trustedIssuers). Mints one access token for the bench user at start (audience and TTL as
// the gateway's own tokens). Prints `{"ready":true,"port":N,"issuer":...,"jwksUrl":...,"token":...}`.
// GET /jwks-hits counts the JWKS fetches: the bench checks none happens per request.
import { createServer } from 'node:http'
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

/** @type {{ audience: string, ttlSeconds: number }} */
const input = JSON.parse(process.env.BENCH_ISSUER ?? '{}')
if (!input.audience || !input.ttlSeconds) throw new Error('BENCH_ISSUER needs { audience, ttlSeconds }')

const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
const kid = `bench-idp-${randomUUID()}`
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] })
let hits = 0

const server = createServer((request, response) => {
  if (request.url === '/jwks.json') {
    hits++
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' })
    response.end(jwks)
    return
  }
  if (request.url === '/jwks-hits') {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ hits }))
    return
  }
  response.writeHead(404)
  response.end()
})
await new Promise((resolve) => { server.listen(0, '127.0.0.1', () => { resolve(undefined) }) })
const address = server.address()
const port = typeof address === 'object' && address ? address.port : 0
const issuer = `http://127.0.0.1:${port}`

// The claims an IdP puts in an access token; roles where tokens.trustedIssuers[].claims.roles says.
const token = await new SignJWT({ roles: ['user'], email: 'bench@example.com' })
  .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
  .setIssuer(issuer)
  .setAudience(input.audience)
  .setSubject('bench-external-user')
  .setJti(randomUUID())
  .setIssuedAt()
  .setExpirationTime(`${input.ttlSeconds}s`)
  .sign(privateKey)

console.log(JSON.stringify({ ready: true, port, issuer, jwksUrl: `${issuer}/jwks.json`, token }))

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => { server.closeAllConnections(); server.close(() => { process.exit(0) }) })
}
