// @authgate/fastify/key-ring: signing keys kept in a store, shared by every instance and rotated or retired without
// a restart (`authgate keys rotate | retire`); sealed at rest with a key-encryption key.
export {
  KeyEncryptionKey, parseKeyEncryptionKey, MIN_KEK_BYTES, KeyRingError, planRotation, planRetire, isVerifying, verifiesUntil,
  rotateKeyRing, retireKeys, listKeyRing, createKeyRingTokens, keyRingJwksMaxAge, keyRingMinNextAgeMs, keyRingWindowMs, DEFAULT_KEY_REFRESH_MS,
  MemoryKeyRingStore, hasKeyRingStore, isKeyRingStore,
  type KeyRingErrorCode, type RotationPlan, type RetirePlan, type KeyInfo, type RotateOptions, type KeyRingTokens, type KeyRingServiceOptions,
  type KeyRingLogger, type KeyRingStore, type KeyRingRecord, type StoredRingKey, type RingKeyState, type SealedKey, type KeyRingCapable
} from './keys/index.js'
export { MongoKeyRingStore, KEY_RING_COLLECTION } from './stores/index.js'
