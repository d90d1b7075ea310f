// tokens.trustedIssuers in the gateway file: checked here with the plugin's own normaliser (one set of rules), so a
// mistake is a start-up error naming the file and the key, and handed to the plugin as given.
import { normaliseTrustedIssuers, type TrustedIssuerInput } from '@authgate/fastify'
import type { Reader } from './reader.js'

export function readTrustedIssuers (reader: Reader, value: unknown, ownIssuer: string): readonly TrustedIssuerInput[] | undefined {
  if (value === undefined || value === null) return undefined
  try {
    normaliseTrustedIssuers(value, ownIssuer)
  } catch (error) {
    const message = (error as Error).message
    const space = message.indexOf(' ')
    return reader.fail(message.slice(0, space), message.slice(space + 1))
  }
  return Object.freeze((value as TrustedIssuerInput[]).map((issuer) => Object.freeze({ ...issuer })))
}
