// A real second token issuer for the trusted-issuer tests: a loopback HTTP server publishing a JWKS (and an OpenID
// discovery document) for keys of its own, and signing tokens with them (jose). Its keys rotate on its side, it can
// go down, and it can answer hugely or never, as a real identity provider sometimes does.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import type { Teardown } from './target.js'

export type IssuerMode = 'normal' | 'huge' | 'silent' | 'error'

/**
 * Sends until the answer is not 503, at most 300 times and 10 s, and returns that answer: the settled one. A JWKS
 * fetch may still be under way (the plugin waits at most 1.5 s for the first at start-up, which a loaded machine can
 * miss, and an unknown kid starts a refetch), and a test must not assert on that transient 503.
 */
export async function settled<T extends { status: number }> (send: () => Promise<T>, limitMs = 10_000): Promise<T> {
  const deadline = Date.now() + limitMs
  let answer = await send()
  for (let attempt = 0; attempt < 300 && answer.status === 503 && Date.now() < deadline; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 30))
    answer = await send()
  }
  return answer
}

interface IssuerKey { kid: string, alg: string, privateKey: KeyObject, jwk: Record<string, unknown> }

export interface ExternalIssuer {
  /** `http://127.0.0.1:port` + `path`: the `iss` of its tokens (and the base of its discovery document). */
  issuer: string
  jwksUrl: string
  /** JWKS (and discovery) requests answered so far. */
  readonly jwksHits: number
  mode: IssuerMode
  /** A new key; published in the JWKS unless `publish` is false. Returns its kid. */
  addKey: (alg?: 'RS256' | 'ES256' | 'EdDSA', publish?: boolean, kid?: string) => string
  publish: (kid: string) => void
  /** A token signed with `kid` (default: the newest key); `header` members are added to the protected header. */
  sign: (claims?: JWTPayload, options?: { kid?: string, alg?: string, header?: Record<string, unknown>, ttl?: number }) => Promise<string>
  /** The public JWK of `kid`, as published. */
  jwk: (kid: string) => Record<string, unknown>
  stop: () => Promise<void>
}

let counter = 0

export async function startExternalIssuer (t: Teardown, options: { path?: string, audience?: string, discoveryIssuer?: string } = {}): Promise<ExternalIssuer> {
  const keys = new Map<string, IssuerKey>()
  const published = new Set<string>()
  let newest = ''
  let hits = 0
  let mode: IssuerMode = 'normal'
  const path = options.path ?? ''
  let issuer = ''

  const server: Server = createServer((request, response) => {
    if (request.url === `${path}/jwks` || request.url === `${path}/.well-known/openid-configuration`) hits++
    if (mode === 'silent') return
    if (mode === 'error') {
      response.writeHead(500).end()
      return
    }
    if (request.url === `${path}/.well-known/openid-configuration`) {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ issuer: options.discoveryIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }))
      return
    }
    if (request.url !== `${path}/jwks`) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' })
    if (mode === 'huge') {
      // A JWKS that never ends: 64 KiB chunks until the client gives up.
      const chunk = ' '.repeat(65536)
      response.write('{"keys":[')
      const pump = (): void => { while (response.write(chunk)) { /* until the socket pushes back */ } }
      response.on('drain', pump)
      pump()
      return
    }
    response.end(JSON.stringify({ keys: [...published].map((kid) => keys.get(kid)?.jwk) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
  let stopped = false
  const stop = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    stopped = true
    return new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) })
  }
  t.teardown(stop)

  function addKey (alg: 'RS256' | 'ES256' | 'EdDSA' = 'RS256', publish = true, kid = `ext-${++counter}`): string {
    const pair = alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
    const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }
    keys.set(kid, { kid, alg, privateKey: pair.privateKey, jwk })
    if (publish) published.add(kid)
    newest = kid
    return kid
  }

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    get jwksHits () { return hits },
    get mode () { return mode },
    set mode (next) { mode = next },
    addKey,
    publish: (kid) => { published.add(kid) },
    async sign (claims = {}, signOptions = {}) {
      const key = keys.get(signOptions.kid ?? newest)
      if (key === undefined) throw new Error('no such key')
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ iss: issuer, aud: options.audience ?? 'upstream', sub: 'ext-user', iat: now, exp: now + (signOptions.ttl ?? 300), ...claims })
        .setProtectedHeader({ alg: signOptions.alg ?? key.alg, kid: key.kid, ...signOptions.header })
        .sign(key.privateKey)
    },
    jwk: (kid) => {
      const key = keys.get(kid)
      if (key === undefined) throw new Error('no such key')
      return key.jwk
    },
    stop
  }
}
