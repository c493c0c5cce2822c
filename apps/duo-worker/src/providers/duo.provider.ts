import type { DuoFactor, DuoPasscodeResult, DuoPreauthResult, DuoPushInfo } from '@mfa/queue';

export interface DuoAuthStart {
  username: string;
  factor: DuoFactor;
  ipaddr?: string;
  pushInfo: DuoPushInfo;
}

export interface DuoAuthState {
  result: 'allow' | 'deny' | 'waiting';
  statusMessage: string;
}

/**
 * The Duo channel: what the use cases need of Duo's Auth API. Failures reject with
 * `RetryableProviderError` or `PermanentProviderError`, classified by the adapter.
 */
export interface DuoProvider {
  readonly name: string;
  preauth(username: string): Promise<DuoPreauthResult>;
  /** Checks a passcode (Duo Mobile, hardware token, SMS passcode) synchronously. */
  checkPasscode(username: string, passcode: string): Promise<DuoPasscodeResult>;
  /** Starts a Duo Push / phone call without waiting for the user; the transaction id follows it. */
  startAuth(request: DuoAuthStart): Promise<{ txid: string }>;
  /** The transaction's state; may take up to `timeoutMs` (Duo long-polls); `signal` cuts it short. */
  authStatus(txid: string, timeoutMs: number, signal?: AbortSignal): Promise<DuoAuthState>;
}
