// `oidc` in the gateway file (sign-in through OpenID Connect providers): checked here with the plugin's own schema
// and rules, so a mistake is a start-up error naming the file and the key, and handed to the plugin as given. The
// client secret is read from the environment (`${VAR}`); written literally it gets the literal-secret warning.
import { normaliseOidc, type OidcInput } from '@authgate/fastify'
import type { Reader } from './reader.js'

export function readOidc (reader: Reader, value: unknown): OidcInput | undefined {
  if (value === undefined || value === null) return undefined
  try {
    normaliseOidc(value)
  } catch (error) {
    // The plugin names the first bad path before ": ".
    const message = (error as Error).message
    const colon = message.indexOf(': ')
    return colon === -1 ? reader.fail('oidc', message) : reader.fail(message.slice(0, colon), message.slice(colon + 2))
  }
  return Object.freeze(structuredClone(value) as OidcInput)
}
