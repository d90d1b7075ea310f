// Access-token half of @authgate/fastify: signing, verification, key sets, JWKS.
export * from './types.js'
export { createAccessTokenService } from './service.js'
export { fastifyJwtOptions, FASTIFY_JWT_DECORATOR } from './fastify-jwt.js'
export { generateKey, writeKeysDir, loadKeysDir, KEYS_MANIFEST } from './keys.js'
export { keyIdFor } from './jwks.js'
export { normaliseTokenOptions, MAX_CLOCK_TOLERANCE, type NormalisedTokenOptions } from './options.js'
export { MAX_TOKEN_LENGTH } from './verify.js'
export { ACCESS_TYP, ASSERTION_TYP } from './header.js'
export { DEFAULT_ASSERTION_TTL } from './sign.js'
export { KeyEncryptionKey, parseKeyEncryptionKey, MIN_KEK_BYTES } from './key-ring-crypto.js'
export { KeyRingError, planRotation, planRetire, isVerifying, verifiesUntil, openRingKey, newRingKey, type KeyRingErrorCode, type RotationPlan, type RetirePlan } from './key-ring.js'
export { rotateKeyRing, retireKeys, listKeyRing, type KeyInfo, type RotateOptions } from './key-ring-ops.js'
export {
  createKeyRingTokens, keyRingJwksMaxAge, keyRingMinNextAgeMs, keyRingWindowMs, DEFAULT_KEY_REFRESH_MS, type KeyRingTokens, type KeyRingServiceOptions, type KeyRingLogger
} from './key-ring-service.js'
