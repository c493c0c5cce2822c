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
/** What identifies an SMS of one challenge at the provider. */
export interface SentSmsQuery {
  /** E.164. */
  to: string;
  /** Created at or after this. */
  since: Date;
  /** Text the body holds (the code): tells this challenge's SMS from others to the same number. */
  containing: string;
}

export interface SmsProvider {
  readonly name: string;
  send(message: SmsMessage): Promise<ProviderReceipt>;
  /**
   * An SMS the provider already accepted, for a send whose answer was lost; undefined when it
   * has none. Rejects with `RetryableProviderError` when it cannot tell.
   */
  findSent(query: SentSmsQuery): Promise<ProviderReceipt | undefined>;
}
