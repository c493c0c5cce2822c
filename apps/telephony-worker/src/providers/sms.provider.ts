import type { ProviderReceipt } from './provider-receipt';

export interface SmsMessage {
  /** E.164. */
  to: string;
  body: string;
}

/**
 * The SMS channel's port. `send` resolves once the provider accepted the message and rejects
 * with `RetryableProviderError` or `PermanentProviderError`, classified by the vendor's error
 * fields, whose messages never hold the number or the text.
 */
export interface SmsProvider {
  readonly name: string;
  send(message: SmsMessage): Promise<ProviderReceipt>;
}
