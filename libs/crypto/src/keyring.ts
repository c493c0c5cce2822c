import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const FORMAT_VERSION = 'v1';
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export class KeyringError extends Error {
  override name = 'KeyringError';
}

interface KeyringKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * AES-256-GCM envelope for secrets at rest. Every ciphertext names the key that sealed it, so
 * keys can rotate: the first key encrypts, any listed key decrypts. The caller binds each
 * ciphertext to its row (`aad`), so a ciphertext copied onto another row does not decrypt.
 *
 * Format: `v1.<key id>.<base64url(iv | tag | ciphertext)>`.
 */
export class Keyring {
  private readonly keys: ReadonlyMap<string, KeyringKey>;
  /** Subkeys already derived, by key id and purpose: HKDF is paid once per process, not per use. */
  private readonly derived = new Map<string, Buffer>();

  private constructor(private readonly ordered: readonly KeyringKey[]) {
    this.keys = new Map(ordered.map((k) => [k.id, k]));
  }

  /** Parses `kid:base64(32 bytes)[,kid:base64…]`; the first key encrypts. */
  static parse(spec: string): Keyring {
    const entries = spec
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (entries.length === 0) throw new KeyringError('MFA_ENCRYPTION_KEYS holds no key');
    const keys = entries.map((entry, index) => {
      const separator = entry.indexOf(':');
      const id = separator > 0 ? entry.slice(0, separator) : '';
      if (!KEY_ID_PATTERN.test(id)) {
        throw new KeyringError(`MFA_ENCRYPTION_KEYS entry ${index + 1} needs the form kid:base64key`);
      }
      const key = Buffer.from(entry.slice(separator + 1), 'base64');
      if (key.length !== KEY_BYTES) {
        throw new KeyringError(`MFA_ENCRYPTION_KEYS key "${id}" must be ${KEY_BYTES} bytes, base64-encoded`);
      }
      return { id, key };
    });
    if (new Set(keys.map((k) => k.id)).size !== keys.length) {
      throw new KeyringError('MFA_ENCRYPTION_KEYS names a key id twice');
    }
    return new Keyring(keys);
  }

  /** A fresh single-key spec, for development set-ups and tests. */
  static generateSpec(keyId = `k${Date.now().toString(36)}`): string {
    return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  get primaryKeyId(): string {
    return this.ordered[0].id;
  }

  get keyIds(): string[] {
    return this.ordered.map((k) => k.id);
  }

  encrypt(plaintext: string | Buffer, aad: string): string {
    const { id, key } = this.ordered[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]);
    return `${FORMAT_VERSION}.${id}.${sealed.toString('base64url')}`;
  }

  decrypt(envelope: string, aad: string): Buffer {
    const [version, keyId, payload] = envelope.split('.');
    if (version !== FORMAT_VERSION || !keyId || !payload) throw new KeyringError('unrecognised ciphertext');
    const entry = this.keys.get(keyId);
    if (!entry) throw new KeyringError(`ciphertext sealed with key "${keyId}", which MFA_ENCRYPTION_KEYS does not hold`);
    const sealed = Buffer.from(payload, 'base64url');
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new KeyringError('ciphertext is truncated');
    const decipher = createDecipheriv(ALGORITHM, entry.key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyringError('ciphertext failed authentication');
    }
  }

  decryptText(envelope: string, aad: string): string {
    return this.decrypt(envelope, aad).toString('utf8');
  }

  /** True when the ciphertext was sealed with a key other than the current primary. */
  needsReencryption(envelope: string): boolean {
    return envelope.split('.')[1] !== this.primaryKeyId;
  }

  /**
   * A subkey for one purpose (HKDF-SHA256), e.g. the MAC key of one-time code hashes. Callers
   * store the key id beside what they MAC, so verification still works while keys rotate.
   */
  deriveKey(purpose: string, keyId = this.primaryKeyId): Buffer {
    const cacheKey = `${keyId}\0${purpose}`;
    let subkey = this.derived.get(cacheKey);
    if (!subkey) {
      const entry = this.keys.get(keyId);
      if (!entry) throw new KeyringError(`key "${keyId}" is not in MFA_ENCRYPTION_KEYS`);
      subkey = Buffer.from(hkdfSync('sha256', entry.key, Buffer.alloc(0), `mfa:${purpose}`, 32));
      this.derived.set(cacheKey, subkey);
    }
    // A copy: a caller that overwrites its key must not change everyone else's.
    return Buffer.from(subkey);
  }

  /** Opens with whichever key sealed it and seals again with the primary key. */
  reencrypt(envelope: string, aad: string): string {
    return this.encrypt(this.decrypt(envelope, aad), aad);
  }
}
