// Trusted external issuers (tokens.trustedIssuers): bearer tokens from an existing identity provider, verified
// against its JWKS beside authgate's own tokens. See the plugin README, "Trusted issuers".
import type { AccessTokenService } from '../types.js'
import { createIssuerKeys, type IssuerKeysLogger } from './issuer-keys.js'
import type { FetchLimits } from './fetch-json.js'
import type { NormalisedTrustedIssuer } from './options.js'
import { createExternalVerifier, type TrustedIssuer } from './verify-external.js'

export { normaliseTrustedIssuers, EXTERNAL_ALGORITHMS, type TrustedIssuerInput, type TrustedIssuerClaimsInput, type NormalisedTrustedIssuer, type ExternalAlgorithm } from './options.js'

export interface TrustedIssuers {
  /** `tokens` with verification extended to the trusted issuers; signing and the JWKS are authgate's own. */
  wrap: (tokens: AccessTokenService) => AccessTokenService
  /** Starts the background fetches; resolves once each issuer's first fetch has ended (successfully or not). */
  start: () => Promise<void>
  stop: () => void
  /** JWKS fetches started, per issuer (tests, metrics). */
  fetches: (issuer: string) => number
}

export interface TrustedIssuersOptions {
  clockToleranceMs: number
  logger?: IssuerKeysLogger
  limits?: FetchLimits
}

export function createTrustedIssuers (configs: readonly NormalisedTrustedIssuer[], options: TrustedIssuersOptions): TrustedIssuers {
  const issuers: TrustedIssuer[] = configs.map((config) => ({
    config,
    keys: createIssuerKeys(config, { clockToleranceMs: options.clockToleranceMs, logger: options.logger, limits: options.limits })
  }))
  const external = createExternalVerifier(issuers, options.clockToleranceMs)
  return {
    wrap: (tokens) => issuers.length === 0
      ? tokens
      : {
          // A known external token costs one Map lookup; our own tokens one Map miss more than before. Only a token
          // our keys refuse is looked at as an external one, by its exact `iss`.
          verify: (token) => {
            const hit = external.cached(token)
            if (hit !== undefined) return hit
            const own = tokens.verify(token)
            if (own.ok) return own
            return external.verify(token) ?? own
          },
          sign: (input) => tokens.sign(input),
          jwks: () => tokens.jwks(),
          signAssertion: (claims, audience, ttlSeconds) => tokens.signAssertion(claims, audience, ttlSeconds)
        },
    start: async () => {
      await Promise.all(issuers.map(async (issuer) => {
        issuer.keys.start()
        await issuer.keys.refresh()
      }))
    },
    stop: () => { for (const issuer of issuers) issuer.keys.stop() },
    fetches: (name) => issuers.find((issuer) => issuer.config.issuer === name)?.keys.fetches ?? 0
  }
}
