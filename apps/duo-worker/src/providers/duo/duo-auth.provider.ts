import type { DuoPasscodeResult, DuoPushInfo } from '@mfa/queue';
import type { DuoAuthStart, DuoAuthState, DuoPreauthAnswer, DuoProvider } from '../duo.provider';
import { DuoTransportError, type DuoAuthClient, type DuoAuthRequest } from './duo-auth-client';
import { classifyDuoError } from './duo-error-classification';
import { percentEncode } from './duo-signature';

/** Title of the Duo Push notification. */
export const PUSH_TYPE = 'Login request';

const PREAUTH_RESULTS = new Set(['auth', 'enroll', 'allow', 'deny']);
const AUTH_RESULTS = new Set(['allow', 'deny']);
const STATUS_RESULTS = new Set(['allow', 'deny', 'waiting']);

/** Duo's Auth API v2 through `DuoAuthClient`; every failure leaves classified. */
export class DuoAuthProvider implements DuoProvider {
  readonly name = 'duo';

  constructor(private readonly client: DuoAuthClient) {}

  preauth(username: string): Promise<DuoPreauthAnswer> {
    return this.classified(async () => {
      const response = await this.client.preauth(username);
      if (!PREAUTH_RESULTS.has(response.result)) throw new DuoTransportError(`unexpected preauth result`, 'malformed');
      return {
        result: response.result,
        statusMessage: text(response.status_msg),
        ...(response.result === 'enroll' && typeof response.enroll_portal_url === 'string' ? { enrollPortalUrl: response.enroll_portal_url } : {}),
      };
    });
  }

  checkPasscode(username: string, passcode: string): Promise<DuoPasscodeResult> {
    return this.classified(async () => {
      const response = await this.client.auth({ username, factor: 'passcode', passcode });
      if (!AUTH_RESULTS.has(response.result)) throw new DuoTransportError('unexpected auth result', 'malformed');
      return { result: response.result, statusMessage: text(response.status_msg) };
    });
  }

  startAuth(request: DuoAuthStart): Promise<{ txid: string }> {
    const params: DuoAuthRequest = { username: request.username, factor: request.factor, device: 'auto', ipaddr: request.ipaddr };
    if (request.factor === 'push') {
      params.type = PUSH_TYPE;
      params.pushinfo = pushInfo(request.pushInfo);
    }
    return this.classified(() => this.client.authAsync(params));
  }

  authStatus(txid: string, timeoutMs: number, signal?: AbortSignal): Promise<DuoAuthState> {
    return this.classified(async () => {
      const response = await this.client.authStatus(txid, { timeoutMs, signal });
      if (!STATUS_RESULTS.has(response.result)) throw new DuoTransportError('unexpected auth_status result', 'malformed');
      return { result: response.result, statusMessage: text(response.status_msg) };
    });
  }

  private async classified<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw classifyDuoError(error, this.name);
    }
  }
}

/** Duo's `pushinfo`: the login context as URL-encoded `key=value` pairs (spaces as %20, as Duo's docs show), non-empty fields only. */
export function pushInfo(info: DuoPushInfo): string {
  return (['application', 'ip', 'action', 'location'] as const)
    .filter((key) => info[key] !== '')
    .map((key) => `${key}=${percentEncode(info[key])}`)
    .join('&');
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 255) : '';
}
