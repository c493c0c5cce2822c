import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Google's OAuth 2.0 token endpoint: what service-account files name and assertions address. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The fields of a Google service-account key file (the JSON downloaded from the console). */
export interface ServiceAccountJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
}

export interface FakeServiceAccount {
  serviceAccount: ServiceAccountJson;
  /** SPKI PEM of the account's key: what the fake verifies assertions with. */
  publicKeyPem: string;
}

/**
 * A fresh service account for `projectId` with its own RSA-2048 key pair, shaped like a real key
 * file. `token_uri` stays Google's: clients are redirected by their HTTP agent, not by the file.
 */
export function createFakeServiceAccount(projectId: string, name = 'firebase-adminsdk-fake'): FakeServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    serviceAccount: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `${name}@${projectId}.iam.gserviceaccount.com`,
      client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: GOOGLE_TOKEN_URL,
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Writes the key file (mode 0600) into `dir` and returns its path, for GOOGLE_APPLICATION_CREDENTIALS. */
export function writeServiceAccountFile(serviceAccount: ServiceAccountJson, dir: string, fileName = 'fcm-service-account.json'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  writeFileSync(path, `${JSON.stringify(serviceAccount, null, 2)}\n`, { mode: 0o600 });
  return path;
}
