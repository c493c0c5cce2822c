/** One wake-up push for one device: the challenge id is all it carries. */
export interface PushMessage {
  /** The device's FCM registration token; never logged. */
  token: string;
  challengeId: string;
  /** Epoch ms when the challenge expires: the push must not outlive it. */
  expiresAt: number;
}

export interface PushSendResult {
  /** The provider's id of the accepted message (FCM: `projects/…/messages/…`). */
  providerRef?: string;
}

/**
 * The push channel's port. `send` resolves once the provider accepted the message; it rejects with
 * `DeadPushTokenError` when the device token will never work again, `RetryableProviderError` or
 * `PermanentProviderError` otherwise, classified by the vendor's error codes.
 */
export interface PushProvider {
  readonly name: string;
  send(message: PushMessage): Promise<PushSendResult>;
  close(): Promise<void>;
}

/**
 * The provider says the token is gone (app uninstalled, token rotated or never valid). Not a
 * delivery failure: the gateway stops pushing to the device, which can still poll.
 */
export class DeadPushTokenError extends Error {
  override name = 'DeadPushTokenError';
  constructor(
    readonly provider: string,
    /** The provider's error code, for the log (never the token). */
    readonly providerCode: string,
  ) {
    super(`${provider}: the device token is no longer valid (${providerCode})`);
  }
}

/** Non-secret facts about a provider failure, for operators' logs (never the token). */
export type ProviderDiagnostics = Record<string, string | number | boolean | undefined>;

export function withDiagnostics<E extends Error>(error: E, diagnostics: ProviderDiagnostics): E & { diagnostics: ProviderDiagnostics } {
  return Object.assign(error, { diagnostics });
}

export function diagnosticsOf(error: unknown): ProviderDiagnostics | undefined {
  const diagnostics = (error as { diagnostics?: unknown } | null)?.diagnostics;
  return typeof diagnostics === 'object' && diagnostics !== null ? (diagnostics as ProviderDiagnostics) : undefined;
}
