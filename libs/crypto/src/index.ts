export { Keyring, KeyringError } from './keyring';
export { constantTimeEqual, hashApiKey, newSalt, saltedHash, sha256Hex } from './hashing';
export { newId, newSecretToken, randomDigits, secureRandomBytes } from './random';
export { keyringFromEnv, loadOrCreateDevSecret, type KeyringSource } from './dev-secrets';
export { blindIndex, blindIndexes, needsReindex } from './blind-index';
