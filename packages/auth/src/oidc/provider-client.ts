// One configured OpenID provider: its discovery document (read at the first sign-in, kept, read again after a
// failure), its signing keys (the trusted-issuer key machinery: fetched in the background, never per request), and
// the two protocol steps. The protocol itself (authorization request, state and iss checks, code exchange with
// client_secret_basic or _post, ID-token claim checks: iss, aud, azp, exp, iat, nonce) is oauth4webapi's, a
// certified implementation; oauth4webapi does not check ID-token signatures on the token endpoint's answer (TLS
// vouches for it), so id-token.ts checks the signature here as well, against the provider's JWKS, with pinned
// algorithms (RFC 8725), and `at_hash` where present.
import * as oauth from 'oauth4webapi'
import { AuthError } from '../errors.js'
import { createIssuerKeys, type IssuerKeys, type IssuerKeysLogger } from '../tokens/trusted-issuers/issuer-keys.js'
import { EXTERNAL_ALGORITHMS, type ExternalAlgorithm } from '../tokens/trusted-issuers/options.js'
import { verifyIdTokenSignature } from './id-token.js'
import type { NormalisedOidcProvider } from './options.js'
import { OidcRejection, type RejectionClass } from './rejection.js'
import { newStateValue } from './state-value.js'

/** Every call to the provider (discovery, token endpoint), connection to last byte. */
const PROVIDER_TIMEOUT_MS = 5000
/** How often the provider's JWKS is fetched again in the background (within its Cache-Control). */
const JWKS_REFRESH_MS = 600_000
/** After a failed discovery, the next sign-in tries again; in between, sign-ins answer 503 at once. */
const DISCOVERY_RETRY_MS = 5000

export interface AuthorizationRequest {
  url: string
  state: string
  nonce: string
  codeVerifier: string
}

export interface IdentityClaims {
  sub: string
  [claim: string]: unknown
}

export interface ProviderClient {
  readonly config: NormalisedOidcProvider
  authorizationRequest: (redirectUri: string) => Promise<AuthorizationRequest>
  /**
   * Validates the callback's parameters against the expected state, exchanges the code and verifies the ID token.
   * Rejects with AuthError AUTH_OIDC_REJECTED (the provider's answer is not acceptable) or AUTH_OIDC_UNAVAILABLE.
   */
  finish: (parameters: URLSearchParams, expected: { state: string, nonce: string, codeVerifier: string, redirectUri: string }) => Promise<IdentityClaims>
  stop: () => void
}

interface Discovered {
  as: oauth.AuthorizationServer
  client: oauth.Client
  auth: oauth.ClientAuth
  keys: IssuerKeys
  algorithms: readonly ExternalAlgorithm[]
}

export function createProviderClient (config: NormalisedOidcProvider, logger: IssuerKeysLogger): ProviderClient {
  const issuerUrl = new URL(config.issuer)
  // Options normalisation allowed http for loopback issuers only (tests, local development).
  const insecure = issuerUrl.protocol === 'http:'
  let discovered: Promise<Discovered> | undefined
  let failedAt = Number.NEGATIVE_INFINITY
  let keys: IssuerKeys | undefined

  const http = (): HttpOptions => httpOptions(insecure)

  async function discover (): Promise<Discovered> {
    const response = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', ...http() })
    // Checks that the document names exactly this issuer (OpenID Connect Discovery §4.3).
    const as = await oauth.processDiscoveryResponse(issuerUrl, response)
    if (typeof as.authorization_endpoint !== 'string' || typeof as.token_endpoint !== 'string' || typeof as.jwks_uri !== 'string') {
      throw new Error('the discovery document lacks authorization_endpoint, token_endpoint or jwks_uri')
    }
    const challenges = as.code_challenge_methods_supported
    if (challenges !== undefined && !challenges.includes('S256')) throw new Error('the provider does not support PKCE S256')
    const offered = as.id_token_signing_alg_values_supported ?? ['RS256']
    // Asymmetric algorithms only: `none` and HMAC (keyed by our client secret) are never accepted for ID tokens.
    const algorithms = EXTERNAL_ALGORITHMS.filter((alg) => offered.includes(alg))
    if (algorithms.length === 0) throw new Error('the provider signs ID tokens with no algorithm accepted here (asymmetric only)')
    // RFC 8414 §2: client_secret_basic when the document names no method.
    const methods = as.token_endpoint_auth_methods_supported ?? ['client_secret_basic']
    const auth = methods.includes('client_secret_basic')
      ? oauth.ClientSecretBasic(config.clientSecret)
      : methods.includes('client_secret_post') ? oauth.ClientSecretPost(config.clientSecret) : undefined
    if (auth === undefined) throw new Error('the provider supports neither client_secret_basic nor client_secret_post')
    keys?.stop()
    keys = createIssuerKeys({
      issuer: config.issuer, jwksUrl: as.jwks_uri, discoveryUrl: undefined, audience: config.clientId, algorithms,
      claims: { sub: ['sub'], roles: undefined, email: ['email'], name: ['name'] }, refreshMs: JWKS_REFRESH_MS
    }, { clockToleranceMs: 30_000, logger })
    keys.start()
    await keys.refresh()
    const client: oauth.Client = { client_id: config.clientId }
    return { as, client, auth, keys, algorithms }
  }

  async function provider (): Promise<Discovered> {
    if (discovered === undefined) {
      if (performance.now() - failedAt < DISCOVERY_RETRY_MS) throw new AuthError('AUTH_OIDC_UNAVAILABLE', { retryAfter: 5 })
      discovered = discover()
      discovered.catch((error: unknown) => {
        discovered = undefined
        failedAt = performance.now()
        logger.warn({ event: 'oidc_discovery_failed', provider: config.name, err: error }, 'oidc: reading the provider\'s discovery document failed')
      })
    }
    try {
      return await discovered
    } catch (error) {
      throw new AuthError('AUTH_OIDC_UNAVAILABLE', { cause: error, retryAfter: 5 })
    }
  }

  return {
    config,
    async authorizationRequest (redirectUri) {
      const { as } = await provider()
      const codeVerifier = oauth.generateRandomCodeVerifier()
      const state = newStateValue()
      const nonce = oauth.generateRandomNonce()
      const url = new URL(as.authorization_endpoint as string)
      url.searchParams.set('response_type', 'code')
      url.searchParams.set('client_id', config.clientId)
      url.searchParams.set('redirect_uri', redirectUri)
      url.searchParams.set('scope', config.scopes.join(' '))
      url.searchParams.set('state', state)
      url.searchParams.set('nonce', nonce)
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
      url.searchParams.set('code_challenge_method', 'S256')
      return { url: url.href, state, nonce, codeVerifier }
    },

    async finish (parameters, expected) {
      const { as, client, auth, keys: providerKeys, algorithms } = await provider()
      let callback: URLSearchParams
      try {
        // state (again: the route matched it already), `error` answers, and RFC 9207 `iss` where the provider
        // announces it (a mix-up between providers is then caught before any code is sent anywhere).
        callback = oauth.validateAuthResponse(as, client, parameters, expected.state)
      } catch (error) {
        throw rejected(error instanceof oauth.AuthorizationResponseError ? 'provider-error' : 'callback-invalid', error)
      }
      let response: Response
      try {
        response = await oauth.authorizationCodeGrantRequest(as, client, auth, callback, expected.redirectUri, expected.codeVerifier, http())
      } catch (error) {
        throw new AuthError('AUTH_OIDC_UNAVAILABLE', { cause: error, retryAfter: 5 })
      }
      let result: oauth.TokenEndpointResponse
      try {
        result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: expected.nonce, requireIdToken: true })
      } catch (error) {
        // A 5xx of the token endpoint is an outage; anything else (invalid_grant: a used code…) a refusal.
        if (response.status >= 500) throw new AuthError('AUTH_OIDC_UNAVAILABLE', { cause: error, retryAfter: 5 })
        // A 2xx answer that fails is the ID token's (its claims are checked here); any other a refused code.
        throw rejected(response.ok && !(error instanceof oauth.ResponseBodyError) ? 'id-token-invalid' : 'code-refused', error)
      }
      const idToken = result.id_token
      const claims = oauth.getValidatedIdTokenClaims(result)
      if (typeof idToken !== 'string' || claims === undefined) throw rejected('id-token-invalid', new Error('no ID token'))
      await verifyIdTokenSignature(idToken, { keys: providerKeys, algorithms, accessToken: result.access_token })
      if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 255) throw rejected('id-token-invalid', new Error('unusable sub'))
      // Providers that follow OIDC Core §5.4 strictly put scope-requested claims (email…) in UserInfo, not in the ID
      // token, when an access token is issued: read them there, for the same `sub` only (§5.3.2).
      const profile = config.claims.email.length === 1 && claims[config.claims.email[0] as string] === undefined && as.userinfo_endpoint !== undefined
        ? await userInfo(as, client, result.access_token, claims.sub, insecure)
        : {}
      return { ...profile, ...claims, sub: claims.sub }
    },

    stop () {
      keys?.stop()
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http only to a loopback issuer (oidc/options.ts refuses any other): tests and local development, as oauth4webapi intends it.
const INSECURE = oauth.allowInsecureRequests
interface HttpOptions { signal: AbortSignal, [INSECURE]: boolean }

function httpOptions (insecure: boolean): HttpOptions {
  return { signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS), [INSECURE]: insecure }
}

async function userInfo (as: oauth.AuthorizationServer, client: oauth.Client, accessToken: string, subject: string, insecure: boolean): Promise<Record<string, unknown>> {
  let response: Response
  try {
    response = await oauth.userInfoRequest(as, client, accessToken, httpOptions(insecure))
  } catch (error) {
    throw new AuthError('AUTH_OIDC_UNAVAILABLE', { cause: error, retryAfter: 5 })
  }
  try {
    // Checks that the answer is about the ID token's `sub`: another user's profile is refused.
    const { sub: _sub, ...profile } = await oauth.processUserInfoResponse(as, client, subject, response)
    return profile
  } catch (error) {
    if (response.status >= 500) throw new AuthError('AUTH_OIDC_UNAVAILABLE', { cause: error, retryAfter: 5 })
    throw rejected('userinfo-invalid', error)
  }
}

function rejected (rejection: RejectionClass, cause: unknown): OidcRejection {
  return new OidcRejection(rejection, cause)
}
