import { parsePublicJwk, parseStoredPrivateKey, type PublicJwk, type StoredPrivateKey } from './device-key';
import { AuthenticatorError } from './errors';

/** Everything the device keeps about its enrollment. */
export interface DeviceRecord {
  version: 1;
  deviceId: string;
  factorId: string;
  baseUrl: string;
  issuer: string;
  label: string;
  /** The device name sent at enrollment. */
  name: string;
  publicKey: PublicJwk;
  /** Never leaves the device: keep it in the platform keystore (Keychain, Android Keystore). */
  privateKey: StoredPrivateKey;
}

/** Where an app keeps its DeviceRecord: secure storage on a phone, a file for the CLI. */
export interface DeviceStore {
  load(): Promise<DeviceRecord | null>;
  save(record: DeviceRecord): Promise<void>;
  clear(): Promise<void>;
}

/** Keeps the record in memory only: tests, and apps that hold the key elsewhere. */
export class MemoryDeviceStore implements DeviceStore {
  private record: DeviceRecord | null;

  constructor(record: DeviceRecord | null = null) {
    this.record = record;
  }

  async load(): Promise<DeviceRecord | null> {
    return this.record;
  }

  async save(record: DeviceRecord): Promise<void> {
    this.record = record;
  }

  async clear(): Promise<void> {
    this.record = null;
  }
}

const invalid = (message: string): AuthenticatorError => new AuthenticatorError('invalid_record', `stored device record: ${message}`);

/** Checks a record read back from storage (a file can be edited or truncated). */
export function parseDeviceRecord(value: unknown): DeviceRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('not an object');
  const record = value as Record<string, unknown>;
  if (record.version !== 1) throw invalid(`unsupported version ${JSON.stringify(record.version)}`);
  const text = (name: string, required: boolean): string => {
    const field = record[name];
    if (typeof field !== 'string' || (required && field === '')) throw invalid(`${name} is missing`);
    return field;
  };
  return {
    version: 1,
    deviceId: text('deviceId', true),
    factorId: text('factorId', true),
    baseUrl: text('baseUrl', true),
    issuer: text('issuer', false),
    label: text('label', false),
    name: text('name', false),
    publicKey: parsePublicJwk(record.publicKey),
    privateKey: parseStoredPrivateKey(record.privateKey),
  };
}
