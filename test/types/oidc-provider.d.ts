// The few members of oidc-provider (panva, plain JavaScript, no bundled types) the tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface ProviderClientMetadata {
    client_id: string
    client_secret?: string
    redirect_uris: string[]
    token_endpoint_auth_method?: string
    id_token_signed_response_alg?: string
  }

  export interface ProviderAccount {
    accountId: string
    claims: (use: string, scope: string) => Promise<Record<string, unknown>>
  }

  export interface ProviderGrant {
    addOIDCScope: (scope: string) => void
    addOIDCClaims: (claims: string[]) => void
    save: () => Promise<string>
  }

  export interface ProviderContext {
    oidc: {
      provider: Provider
      client?: { clientId: string }
      session?: { accountId?: string }
    }
  }

  export interface ProviderConfiguration {
    clients: ProviderClientMetadata[]
    findAccount: (ctx: unknown, id: string) => Promise<ProviderAccount | undefined>
    claims?: Record<string, string[]>
    features?: Record<string, unknown>
    pkce?: { required: () => boolean }
    cookies?: { keys: string[] }
    jwks?: { keys: Array<Record<string, unknown>> }
    loadExistingGrant?: (ctx: ProviderContext) => Promise<ProviderGrant | undefined>
    ttl?: Record<string, number>
    [key: string]: unknown
  }

  export default class Provider {
    constructor (issuer: string, configuration: ProviderConfiguration)
    callback (): (request: IncomingMessage, response: ServerResponse) => void
    Grant: new (init: { accountId?: string, clientId: string }) => ProviderGrant
    proxy: boolean
  }
}
