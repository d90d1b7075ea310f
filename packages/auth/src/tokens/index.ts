// Access tokens: signing, verification, JWKS, the token options and the trusted external issuers.
export * from './types.js'
export { createAccessTokenService } from './service.js'
export { keyIdFor } from './jwks.js'
export { normaliseTokenOptions, MAX_CLOCK_TOLERANCE, type NormalisedTokenOptions } from './options.js'
export { MAX_TOKEN_LENGTH } from './verify.js'
export { ACCESS_TYP, ASSERTION_TYP } from './header.js'
export { DEFAULT_ASSERTION_TTL } from './sign.js'
