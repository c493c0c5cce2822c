import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { requiredInProduction, WorkerConfigError, type WorkerConfig } from '@mfa/worker-host';
import { GOOGLE_TOKEN_URL, type ServiceAccountKey } from '../providers/fcm/service-account-credential';

type Env = Record<string, string | undefined>;

export interface PushConfig {
  /** The Firebase project whose `messages:send` the worker calls. */
  projectId: string;
  /** The service account read from GOOGLE_APPLICATION_CREDENTIALS. */
  serviceAccount: ServiceAccountKey;
  /** FCM_API_BASE_URL: every Google connection dials this endpoint instead (fakes, proxies). */
  apiBaseUrl?: URL;
}

function required(config: WorkerConfig, env: Env, name: string, example: string): string {
  const value = requiredInProduction(config, env, name);
  if (!value) throw new WorkerConfigError(`${name} is not set: the push worker needs it (${example}); npm start provides the FCM fake's`);
  return value;
}

/** Reads and checks the key file. Messages name the file, never its content: it holds a private key. */
export function readServiceAccount(path: string): ServiceAccountKey {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not JSON';
    throw new WorkerConfigError(`GOOGLE_APPLICATION_CREDENTIALS: cannot read a service-account JSON file at ${path} (${reason})`);
  }
  const { type, client_email: clientEmail, private_key: privateKey, token_uri: tokenUri } = json ?? {};
  if (type !== 'service_account' || typeof clientEmail !== 'string' || typeof privateKey !== 'string') {
    throw new WorkerConfigError('GOOGLE_APPLICATION_CREDENTIALS must name a service-account key file (type "service_account" with client_email and private_key)');
  }
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new WorkerConfigError('GOOGLE_APPLICATION_CREDENTIALS: the private_key of the service account is not a valid PEM key');
  }
  let tokenUrl = GOOGLE_TOKEN_URL;
  if (typeof tokenUri === 'string' && tokenUri !== '') {
    const parsed = URL.canParse(tokenUri) ? new URL(tokenUri) : undefined;
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) throw new WorkerConfigError('GOOGLE_APPLICATION_CREDENTIALS: token_uri is not an http(s) URL');
    tokenUrl = parsed.toString();
  }
  return { clientEmail, privateKey, tokenUri: tokenUrl };
}

function apiBaseUrl(raw: string | undefined): URL | undefined {
  if (!raw) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new WorkerConfigError('FCM_API_BASE_URL must be an http:// or https:// URL, e.g. http://127.0.0.1:4010');
  }
  if (url.pathname !== '/' || url.search !== '') throw new WorkerConfigError('FCM_API_BASE_URL takes a scheme, host and port only (Google\'s paths are kept)');
  return url;
}

/** The push worker's own settings (API.md §4), validated at start. */
export function loadPushConfig(config: WorkerConfig, env: Env = process.env): PushConfig {
  const projectId = required(config, env, 'FIREBASE_PROJECT_ID', 'the Firebase project id, e.g. my-app-1234');
  const credentialsPath = required(config, env, 'GOOGLE_APPLICATION_CREDENTIALS', 'the path of a service-account key JSON file');
  if (!/^[a-z0-9][a-z0-9:.-]{2,62}$/i.test(projectId)) throw new WorkerConfigError('FIREBASE_PROJECT_ID is not a Google Cloud project id (letters, digits, hyphens)');
  return { projectId, serviceAccount: readServiceAccount(credentialsPath), apiBaseUrl: apiBaseUrl(env.FCM_API_BASE_URL) };
}
