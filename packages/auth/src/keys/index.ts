// Signing keys: key sets on disk (`authgate keygen`) and the key ring kept in a store and shared by every instance.
export { generateKey, writeKeysDir, loadKeysDir, KEYS_MANIFEST } from './keys-dir.js'
export { KeyEncryptionKey, parseKeyEncryptionKey, MIN_KEK_BYTES } from './key-ring-crypto.js'
export { KeyRingError, planRotation, planRetire, isVerifying, verifiesUntil, openRingKey, newRingKey, type KeyRingErrorCode, type RotationPlan, type RetirePlan } from './key-ring.js'
export { rotateKeyRing, retireKeys, listKeyRing, type KeyInfo, type RotateOptions } from './key-ring-ops.js'
export {
  createKeyRingTokens, keyRingJwksMaxAge, keyRingMinNextAgeMs, keyRingWindowMs, DEFAULT_KEY_REFRESH_MS, type KeyRingTokens, type KeyRingServiceOptions, type KeyRingLogger
} from './key-ring-service.js'
export { MemoryKeyRingStore, hasKeyRingStore, isKeyRingStore } from './key-ring-store.js'
export type { KeyRingStore, KeyRingRecord, StoredRingKey, RingKeyState, SealedKey, KeyRingCapable } from './key-ring-store.js'
