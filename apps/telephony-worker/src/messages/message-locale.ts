import { de } from './de';
import { en } from './en';
import type { TelephonyCatalog } from './telephony-catalog';

const CATALOGS = { en, de } satisfies Record<string, TelephonyCatalog>;
export type MessageLanguage = keyof typeof CATALOGS;
export const DEFAULT_LANGUAGE: MessageLanguage = 'en';

/** BCP 47 tag → a language we have: "de-DE", "de_AT" and "DE" → "de"; unknown or empty → "en". */
export function resolveLanguage(locale: string | undefined): MessageLanguage {
  const primary = normalize(locale).split('-')[0] ?? '';
  return Object.hasOwn(CATALOGS, primary) ? (primary as MessageLanguage) : DEFAULT_LANGUAGE;
}

export function catalogFor(language: MessageLanguage): TelephonyCatalog {
  return CATALOGS[language];
}

/**
 * The `<Say language>` for a locale: the locale itself when its language can be spoken in that
 * region ("en-GB"), else the language's default ("de-AT" → "de-DE"; unknown → "en-US").
 */
export function resolveVoiceLanguage(locale: string | undefined): string {
  const catalog = catalogFor(resolveLanguage(locale));
  const wanted = normalize(locale);
  return catalog.voiceLanguages.find((candidate) => candidate.toLowerCase() === wanted) ?? catalog.voiceLanguages[0];
}

function normalize(locale: string | undefined): string {
  return (locale ?? '').trim().toLowerCase().replace(/_/g, '-');
}
