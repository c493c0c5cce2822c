import type { ChallengePurpose } from '@mfa/queue';
import { catalogFor, resolveLanguage, resolveVoiceLanguage } from './message-locale';

export type VoiceSegment = { say: string } | { pauseSeconds: number };

/** What a code call says, vendor-neutral: the provider turns it into its markup (TwiML). */
export interface VoiceScript {
  /** BCP 47 language to speak in, e.g. "en-US", "de-DE". */
  language: string;
  segments: VoiceSegment[];
}

export interface CodeVoiceInput {
  issuer: string;
  code: string;
  purpose: ChallengePurpose;
  locale: string | undefined;
}

/**
 * Reads the code digit by digit ("4, 7, 1, …": the commas make the voice pause between digits,
 * so "47" is not heard as "forty-seven"), then says it a second time, for whoever reached for
 * a pen too late. It holds the code: never log it.
 */
export function renderCodeVoiceScript(input: CodeVoiceInput): VoiceScript {
  const catalog = catalogFor(resolveLanguage(input.locale));
  const digits = `${[...input.code].join(', ')}.`;
  return {
    language: resolveVoiceLanguage(input.locale),
    segments: [
      { pauseSeconds: 1 },
      { say: catalog.voiceIntro(input.issuer, input.purpose) },
      { say: digits },
      { pauseSeconds: 1 },
      { say: catalog.voiceRepeat() },
      { say: digits },
      { pauseSeconds: 1 },
      { say: catalog.voiceGoodbye() },
    ],
  };
}
