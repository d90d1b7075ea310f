// The OIDC sign-in service of one plugin instance: the configured providers (each a ProviderClient) and the store
// of identities and login states.
import type { IssuerKeysLogger } from '../tokens/trusted-issuers/issuer-keys.js'
import { hasOidcStore, type OidcStore } from '../stores/oidc.js'
import type { SessionStore } from '../stores/store.js'
import type { NormalisedOidc } from './options.js'
import { createProviderClient, type ProviderClient } from './provider-client.js'

export interface OidcService {
  readonly names: readonly string[]
  provider: (name: string) => ProviderClient | undefined
  readonly store: OidcStore
  readonly linkByVerifiedEmail: boolean
  readonly stateTtlMs: number
  stop: () => void
}

export function createOidcService (options: NormalisedOidc, store: SessionStore, logger: IssuerKeysLogger): OidcService {
  if (!hasOidcStore(store)) throw new Error('oidc: the configured store cannot hold OIDC identities (it has no oidcStore()); use the MongoDB or in-memory store')
  const clients = new Map(options.providers.map((provider) => [provider.name, createProviderClient(provider, logger)]))
  return {
    names: options.providers.map((provider) => provider.name),
    // A Map lookup by the URL's name: `__proto__` or `constructor` are simply unknown providers.
    provider: (name) => clients.get(name),
    store: store.oidcStore(),
    linkByVerifiedEmail: options.linkByVerifiedEmail,
    stateTtlMs: options.stateTtlMs,
    stop: () => { for (const client of clients.values()) client.stop() }
  }
}
