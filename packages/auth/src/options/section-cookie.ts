// `cookie`: the refresh and device cookies. Cross-field rules (sameSite none, __Host-/__Secure- names, two different
// names) are in rules.ts.
import { Type, type TObject } from '@sinclair/typebox'
import { OneOf, Strict } from '../config/kinds.js'

/** An RFC 6265 cookie-name token. */
export const COOKIE_NAME_PATTERN = '^[!#$%&\'*+\\-.^_`|~0-9A-Za-z]{1,64}$'

export function cookieSection (): TObject {
  return Type.Object({
    name: Type.String({ pattern: COOKIE_NAME_PATTERN, default: 'authgate_rt', description: 'Refresh cookie name. A `__Host-` name (needs secure) cannot be set by any other host, so cookie tossing is impossible; the cookie then has Path=/.' }),
    deviceName: Type.String({ pattern: COOKIE_NAME_PATTERN, default: 'authgate_did', description: 'Device-id cookie name (other than name).' }),
    secure: Type.Boolean({ default: true, description: 'Secure attribute. Only turn off for plain-HTTP local development: the refresh token would travel in clear.' }),
    sameSite: OneOf(['strict', 'lax', 'none'] as const, 'SameSite attribute; none requires secure.', 'strict')
  }, { ...Strict, description: 'The refresh-token and device-id cookies.' })
}
