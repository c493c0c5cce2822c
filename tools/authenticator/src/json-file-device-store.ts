import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { AuthenticatorError, parseDeviceRecord, type DeviceRecord, type DeviceStore } from '@mfa/authenticator-sdk';

/**
 * The CLI's DeviceStore: one JSON file readable by its owner only (0600), since it holds the
 * private key. Written to a temporary file and renamed, so a crash never leaves half a key.
 */
export class JsonFileDeviceStore implements DeviceStore {
  constructor(readonly path: string) {}

  async load(): Promise<DeviceRecord | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AuthenticatorError('invalid_record', `${this.path} is not valid JSON`);
    }
    return parseDeviceRecord(value);
  }

  async save(record: DeviceRecord): Promise<void> {
    if (!('kty' in record.privateKey)) throw new AuthenticatorError('invalid_argument', 'a file can only hold a JWK private key');
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    await chmod(temporary, 0o600); // in case the file existed with wider permissions
    await rename(temporary, this.path);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
