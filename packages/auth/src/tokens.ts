// @authgate/fastify/tokens: access tokens without the plugin: an AccessTokenService (sign, verify, JWKS) from a key
// set, key sets on disk (`authgate keygen`), @fastify/jwt options over the same keys, and trusted external issuers.
export * from './tokens/index.js'
export { generateKey, writeKeysDir, loadKeysDir, KEYS_MANIFEST } from './keys/index.js'
export { fastifyJwtOptions } from './http/fastify-jwt.js'
export { normaliseTrustedIssuers, EXTERNAL_ALGORITHMS, type TrustedIssuerInput, type TrustedIssuerClaimsInput, type ExternalAlgorithm } from './tokens/trusted-issuers/index.js'
export { subjectKey, issuedBefore, EXTERNAL_MAX_LIFETIME_S } from './tokens/subject-revocation.js'
