import { renderCodeEmail, type CodeEmailInput } from './code-email';
import { resolveLanguage } from './message-locale';

const base: CodeEmailInput = { code: '482913', issuer: 'Acme', locale: 'en', purpose: 'challenge', ttlSeconds: 300 };

describe('renderCodeEmail', () => {
  it('writes an English sign-in mail with the code, its lifetime and the ignore line in both bodies', () => {
    const mail = renderCodeEmail(base);

    expect(mail.language).toBe('en');
    expect(mail.subject).toBe('Your Acme verification code');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('482913');
      expect(body).toContain('finish signing in to Acme');
      expect(body).toContain('valid for 5 minutes');
      expect(body).toContain('If you did not try to sign in, you can ignore this message.');
    }
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toMatch(/font-size:32px[^>]*>482913</);
  });

  it('writes a German mail for de-DE, with its own subject and sentences', () => {
    const mail = renderCodeEmail({ ...base, locale: 'de-DE' });

    expect(mail.language).toBe('de');
    expect(mail.subject).toBe('Ihr Bestätigungscode für Acme');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('482913');
      expect(body).toContain('Der Code ist 5 Minuten gültig.');
      expect(body).toContain('Wenn Sie nicht versucht haben, sich anzumelden, können Sie diese Nachricht ignorieren.');
    }
    expect(mail.html).toContain('<html lang="de">');
  });

  it.each([
    ['en', 'confirm this e-mail address for Acme', 'If you did not add this e-mail address'],
    ['de', 'bestätigen Sie diese E-Mail-Adresse für Acme', 'Wenn Sie diese E-Mail-Adresse nicht hinzugefügt haben'],
  ])('says the %s enrollment mail confirms the address', (locale, intro, ignore) => {
    const mail = renderCodeEmail({ ...base, locale, purpose: 'enrollment' });
    expect(mail.text).toContain(intro);
    expect(mail.text).toContain(ignore);
    expect(mail.text).not.toContain(renderCodeEmail({ ...base, locale }).text.split('\n')[0]);
  });

  it('never puts the code in the subject, in any language or purpose', () => {
    for (const locale of ['en', 'de', 'fr']) {
      for (const purpose of ['challenge', 'enrollment'] as const) {
        expect(renderCodeEmail({ ...base, locale, purpose }).subject).not.toContain(base.code);
      }
    }
  });

  it('HTML-escapes every interpolated value and keeps the issuer on one line in the subject', () => {
    const mail = renderCodeEmail({ ...base, issuer: '<script>alert("x")</script> & Co\r\nBcc: evil@example.com', code: '12<b>34' });

    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co Bcc: evil@example.com');
    expect(mail.html).toContain('12&lt;b&gt;34');
    expect(mail.subject).toBe('Your <script>alert("x")</script> & Co Bcc: evil@example.com verification code');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    // The text body is plain text: shown as written, nothing to escape.
    expect(mail.text).toContain('12<b>34');
  });

  it('rounds the lifetime up to whole minutes and says "1 minute" for short ones', () => {
    expect(renderCodeEmail({ ...base, ttlSeconds: 30 }).text).toContain('valid for 1 minute.');
    expect(renderCodeEmail({ ...base, ttlSeconds: 61 }).text).toContain('valid for 2 minutes.');
    expect(renderCodeEmail({ ...base, ttlSeconds: 60, locale: 'de' }).text).toContain('1 Minute gültig.');
  });
});

describe('resolveLanguage', () => {
  it.each([
    ['de', 'de'],
    ['de-DE', 'de'],
    ['de-AT', 'de'],
    ['DE_ch', 'de'],
    ['en-GB', 'en'],
    ['fr-FR', 'en'],
    ['', 'en'],
    [undefined, 'en'],
    ['constructor', 'en'],
  ])('maps %j to %s', (locale, language) => {
    expect(resolveLanguage(locale)).toBe(language);
  });
});
