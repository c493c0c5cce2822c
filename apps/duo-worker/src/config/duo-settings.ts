import { requiredInProduction, WorkerConfigError, type WorkerConfig } from '@mfa/worker-host';

export interface DuoSettings {
  integrationKey: string;
  secretKey: string;
  /** `api-xxxxxxxx.duosecurity.com`; signed into every request even when `apiBaseUrl` points elsewhere. */
  apiHost: string;
  /** Where requests go; default `https://<apiHost>` (a proxy or the loopback fake otherwise). */
  apiBaseUrl: string;
}

type Env = Record<string, string | undefined>;

const REQUIRED = ['DUO_INTEGRATION_KEY', 'DUO_SECRET_KEY', 'DUO_API_HOST'] as const;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

/**
 * The duo worker's provider settings (API.md §4), checked at start so a bad value stops the
 * process with one line naming the variable instead of failing every job later.
 */
export function loadDuoSettings(config: WorkerConfig, env: Env): DuoSettings {
  const values = REQUIRED.map((name) => requiredInProduction(config, env, name));
  const missing = REQUIRED.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) {
    throw new WorkerConfigError(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: the duo worker needs a Duo Auth API application (npm start provides the loopback fake's)`,
    );
  }
  const [integrationKey, secretKey, apiHost] = (values as [string, string, string]).map((v) => v.trim()) as [string, string, string];
  if (!HOST.test(apiHost)) throw new WorkerConfigError('DUO_API_HOST must be a host name, e.g. api-xxxxxxxx.duosecurity.com (no scheme, no path)');
  return { integrationKey, secretKey, apiHost, apiBaseUrl: baseUrl(env.DUO_API_BASE_URL) ?? `https://${apiHost}` };
}

function baseUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WorkerConfigError('DUO_API_BASE_URL must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WorkerConfigError('DUO_API_BASE_URL must be an http(s) URL');
  return url.origin + url.pathname.replace(/\/+$/, '');
}
