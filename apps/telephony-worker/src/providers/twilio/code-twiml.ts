import { twiml } from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { VoiceScript } from '../../messages/code-voice-script';

type SayLanguage = NonNullable<VoiceResponse.SayAttributes['language']>;
type SayVoice = NonNullable<VoiceResponse.SayAttributes['voice']>;

/**
 * Amazon Polly voices Twilio offers per `<Say language>`: the classic `man`/`woman` voices do
 * not speak German, and a named voice keeps the sound stable when Twilio changes its defaults.
 */
const VOICES: Readonly<Record<string, SayVoice>> = {
  'en-US': 'Polly.Joanna',
  'en-GB': 'Polly.Amy',
  'de-DE': 'Polly.Marlene',
};

/** TwiML for a call that speaks `script`; the SDK's builder escapes the text. */
export function renderCodeTwiml(script: VoiceScript): string {
  const response = new twiml.VoiceResponse();
  const attributes: VoiceResponse.SayAttributes = {
    language: script.language as SayLanguage,
    ...(VOICES[script.language] ? { voice: VOICES[script.language] } : {}),
  };
  for (const segment of script.segments) {
    if ('say' in segment) response.say(attributes, segment.say);
    else response.pause({ length: segment.pauseSeconds });
  }
  return response.toString();
}
