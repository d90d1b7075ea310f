// Shared set-up: a contract server closed at teardown, and a Node client (with a cookie jar) logged in to it.
import type { Test } from 'tap'
import { createAuthClient, createMemoryCookieJar, type AuthClient, type AuthClientOptions } from '../../src/index.js'
import { PASSWORD, startContractServer, USER, type ContractServer } from './contract-server.js'

export async function serverFor (t: Test): Promise<ContractServer> {
  const server = await startContractServer()
  t.teardown(() => server.close())
  return server
}

export async function loggedIn (t: Test, options: Partial<AuthClientOptions> = {}): Promise<{ server: ContractServer, client: AuthClient }> {
  const server = await serverFor(t)
  const client = createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar(), ...options })
  await client.login(USER.email, PASSWORD)
  return { server, client }
}
