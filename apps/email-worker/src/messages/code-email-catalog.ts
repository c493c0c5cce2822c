import type { ChallengePurpose } from '@mfa/queue';

/**
 * The sentences of a code e-mail in one language. Functions receive raw values; the renderer
 * escapes what they return for the HTML body, so a catalog never deals with markup.
 */
export interface CodeEmailCatalog {
  subject(issuer: string): string;
  /** Hidden preview line for mail clients: says what the mail is without the code. */
  preview(issuer: string): string;
  intro(issuer: string, purpose: ChallengePurpose): string;
  lifetime(minutes: number): string;
  ignore(purpose: ChallengePurpose): string;
  doNotShare(issuer: string): string;
}
