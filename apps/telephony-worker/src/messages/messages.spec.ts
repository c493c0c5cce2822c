import { minutesLeft, renderCodeSms } from './code-sms';
import { renderCodeVoiceScript, type VoiceScript } from './code-voice-script';
import { resolveLanguage, resolveVoiceLanguage } from './message-locale';

const said = (script: VoiceScript): string[] => script.segments.flatMap((s) => ('say' in s ? [s.say] : []));

describe('code SMS text', () => {
  const base = { issuer: 'Acme', code: '123456', purpose: 'challenge' as const, secondsLeft: 300 };

  it('says issuer, code and lifetime in English', () => {
    expect(renderCodeSms({ ...base, locale: 'en-US' })).toBe('Your Acme verification code is 123456. It expires in 5 minutes.');
  });

  it('says it in German for de, de-DE and de-AT', () => {
    for (const locale of ['de', 'de-DE', 'de-AT', 'de_CH']) {
      expect(renderCodeSms({ ...base, locale })).toBe('Ihr Bestätigungscode für Acme lautet 123456. Er läuft in 5 Minuten ab.');
    }
  });

  it('says that an enrollment code confirms the phone number', () => {
    expect(renderCodeSms({ ...base, purpose: 'enrollment', locale: 'en' })).toBe(
      'Your Acme code to confirm this phone number is 123456. It expires in 5 minutes.',
    );
    expect(renderCodeSms({ ...base, purpose: 'enrollment', locale: 'de-DE' })).toBe(
      'Ihr Code zur Bestätigung dieser Telefonnummer bei Acme lautet 123456. Er läuft in 5 Minuten ab.',
    );
  });

  it('falls back to English for unknown or missing locales', () => {
    for (const locale of ['fr-FR', 'xx', '', undefined]) {
      expect(renderCodeSms({ ...base, locale })).toBe('Your Acme verification code is 123456. It expires in 5 minutes.');
    }
  });

  it('states the time actually left, in singular or as less than a minute', () => {
    expect(renderCodeSms({ ...base, locale: 'en', secondsLeft: 70 })).toMatch(/It expires in 1 minute\.$/);
    expect(renderCodeSms({ ...base, locale: 'de', secondsLeft: 70 })).toMatch(/Er läuft in 1 Minute ab\.$/);
    expect(renderCodeSms({ ...base, locale: 'en', secondsLeft: 20 })).toMatch(/It expires in less than a minute\.$/);
    expect(minutesLeft(299)).toBe(5);
    expect(minutesLeft(150)).toBe(3);
  });
});

describe('code voice script', () => {
  it('reads the code digit by digit, separated by commas, twice', () => {
    const script = renderCodeVoiceScript({ issuer: 'Acme', code: '470815', purpose: 'challenge', locale: 'en-US' });
    const lines = said(script);
    expect(lines.filter((line) => line === '4, 7, 0, 8, 1, 5.')).toHaveLength(2);
    expect(lines[0]).toBe('Hello. Your Acme verification code is:');
    expect(script.segments.some((s) => 'pauseSeconds' in s)).toBe(true);
  });

  it('speaks German for German locales and confirms the number at enrollment', () => {
    const script = renderCodeVoiceScript({ issuer: 'Acme', code: '12345678', purpose: 'enrollment', locale: 'de-AT' });
    expect(script.language).toBe('de-DE');
    expect(said(script)[0]).toBe('Hallo. Mit diesem Anruf bestätigen Sie Ihre Telefonnummer bei Acme. Ihr Code lautet:');
    expect(said(script).filter((line) => line === '1, 2, 3, 4, 5, 6, 7, 8.')).toHaveLength(2);
  });
});

describe('locale resolution', () => {
  it.each([
    ['de-DE', 'de', 'de-DE'],
    ['de-at', 'de', 'de-DE'],
    ['DE', 'de', 'de-DE'],
    ['en-GB', 'en', 'en-GB'],
    ['en', 'en', 'en-US'],
    ['en-AU', 'en', 'en-US'],
    ['fr-FR', 'en', 'en-US'],
    ['', 'en', 'en-US'],
    [undefined, 'en', 'en-US'],
  ])('%s → messages %s, voice %s', (locale, language, voice) => {
    expect(resolveLanguage(locale)).toBe(language);
    expect(resolveVoiceLanguage(locale)).toBe(voice);
  });
});
