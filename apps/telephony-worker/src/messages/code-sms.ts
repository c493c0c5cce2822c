import type { ChallengePurpose } from '@mfa/queue';
import { catalogFor, resolveLanguage } from './message-locale';

export interface CodeSmsInput {
  issuer: string;
  code: string;
  purpose: ChallengePurpose;
  locale: string | undefined;
  /** Time left until the code expires. */
  secondsLeft: number;
}

/** The text of a code SMS in the recipient's language. It holds the code: never log it. */
export function renderCodeSms(input: CodeSmsInput): string {
  return catalogFor(resolveLanguage(input.locale)).sms(input.issuer, input.code, input.purpose, minutesLeft(input.secondsLeft));
}

/** Whole minutes as a person would say them (299 s → 5); 0 means "less than a minute". */
export function minutesLeft(secondsLeft: number): number {
  return Math.max(0, Math.round(secondsLeft / 60));
}
