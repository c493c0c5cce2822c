import type { ChallengePurpose } from '@mfa/queue';

/**
 * The sentences of a code SMS and a code call in one language. Functions get raw values and
 * return plain text; the voice renderer escapes what it puts into TwiML.
 */
export interface TelephonyCatalog {
  /** `<Say language>` values this language can be spoken in; the first one is the default. */
  voiceLanguages: readonly [string, ...string[]];
  /** The whole SMS. */
  sms(issuer: string, code: string, purpose: ChallengePurpose, minutesLeft: number): string;
  /** Said before the first reading of the code. */
  voiceIntro(issuer: string, purpose: ChallengePurpose): string;
  /** Said before the second reading. */
  voiceRepeat(): string;
  voiceGoodbye(): string;
}
