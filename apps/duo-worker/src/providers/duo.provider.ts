import type { DuoFactor, DuoPasscodeResult, DuoPreauthOutcome, DuoPushInfo } from '@mfa/queue';

/** Duo's preauth answer as the use case gets it: the portal URL in clear, to be sealed before it leaves the process. */
export interface DuoPreauthAnswer {
  result: DuoPreauthOutcome;
  statusMessage: string;
  enrollPortalUrl?: string;
}

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
  preauth(username: string): Promise<DuoPreauthAnswer>;
  /** Checks a passcode (Duo Mobile, hardware token, SMS passcode) synchronously. */
  checkPasscode(username: string, passcode: string): Promise<DuoPasscodeResult>;
  /** Starts a Duo Push / phone call without waiting for the user; the transaction id follows it. */
  startAuth(request: DuoAuthStart): Promise<{ txid: string }>;
  /** The transaction's state; may take up to `timeoutMs` (Duo long-polls); `signal` cuts it short. */
  authStatus(txid: string, timeoutMs: number, signal?: AbortSignal): Promise<DuoAuthState>;
}
