import type { CodeEmailCatalog } from './code-email-catalog';
import { de } from './de';
import { en } from './en';

const CATALOGS = { en, de } satisfies Record<string, CodeEmailCatalog>;
export type MessageLanguage = keyof typeof CATALOGS;
export const DEFAULT_LANGUAGE: MessageLanguage = 'en';

/** BCP 47 tag → a language we have: "de-DE", "de_AT" and "DE" → "de"; unknown or empty → "en". */
export function resolveLanguage(locale: string | undefined): MessageLanguage {
  const primary = (locale ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return Object.hasOwn(CATALOGS, primary) ? (primary as MessageLanguage) : DEFAULT_LANGUAGE;
}

export function catalogFor(language: MessageLanguage): CodeEmailCatalog {
  return CATALOGS[language];
}
