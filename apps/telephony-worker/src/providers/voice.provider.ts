import type { VoiceScript } from '../messages/code-voice-script';
import type { ProviderReceipt } from './provider-receipt';

export interface VoiceCall {
  /** E.164. */
  to: string;
  script: VoiceScript;
}

/**
 * The voice channel's port. `call` resolves once the provider accepted the call (it is queued
 * to ring) and rejects with `RetryableProviderError` or `PermanentProviderError`.
 */
export interface PlacedCallQuery {
  /** E.164. */
  to: string;
  /** Created at or after this. */
  since: Date;
}

export interface VoiceProvider {
  readonly name: string;
  call(call: VoiceCall): Promise<ProviderReceipt>;
  /**
   * A call the provider already accepted, for a request whose answer was lost; undefined when
   * it has none. Rejects with `RetryableProviderError` when it cannot tell.
   */
  findPlaced(query: PlacedCallQuery): Promise<ProviderReceipt | undefined>;
}
