import { renderCodeVoiceScript } from '../../messages/code-voice-script';
import { renderCodeTwiml } from './code-twiml';

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe('code TwiML', () => {
  it('speaks the digits twice, comma-separated, in US English with pauses', () => {
    const twiml = renderCodeTwiml(renderCodeVoiceScript({ issuer: 'Acme', code: '123456', purpose: 'challenge', locale: 'en-US' }));
    expect(twiml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?><Response>.*<\/Response>$/);
    expect(occurrences(twiml, '>1, 2, 3, 4, 5, 6.</Say>')).toBe(2);
    expect(occurrences(twiml, '<Say language="en-US" voice="Polly.Joanna">')).toBe(occurrences(twiml, '<Say'));
    expect(occurrences(twiml, '<Pause length="1"/>')).toBeGreaterThanOrEqual(1);
    // The pause between the two readings:
    expect(twiml).toMatch(/1, 2, 3, 4, 5, 6\.<\/Say><Pause length="1"\/><Say[^>]*>Once again, your code is:<\/Say><Say[^>]*>1, 2, 3, 4, 5, 6\./);
  });

  it('sets <Say language="de-DE"> with a German voice for German locales', () => {
    const twiml = renderCodeTwiml(renderCodeVoiceScript({ issuer: 'Acme', code: '987654', purpose: 'challenge', locale: 'de-DE' }));
    expect(occurrences(twiml, '<Say language="de-DE" voice="Polly.Marlene">')).toBe(occurrences(twiml, '<Say'));
    expect(twiml).toContain('Ihr Bestätigungscode für Acme lautet:');
    expect(occurrences(twiml, '>9, 8, 7, 6, 5, 4.</Say>')).toBe(2);
  });

  it('falls back to en-US for an unknown locale', () => {
    const twiml = renderCodeTwiml(renderCodeVoiceScript({ issuer: 'Acme', code: '123456', purpose: 'challenge', locale: 'pt-BR' }));
    expect(twiml).toContain('<Say language="en-US"');
    expect(twiml).not.toContain('pt-BR');
  });

  it('escapes the issuer, so it cannot inject TwiML', () => {
    const twiml = renderCodeTwiml(renderCodeVoiceScript({ issuer: 'A&B <Hangup/>', code: '123456', purpose: 'challenge', locale: 'en' }));
    expect(twiml).toContain('A&amp;B &lt;Hangup/&gt;');
    expect(twiml).not.toContain('<Hangup/>');
  });
});
