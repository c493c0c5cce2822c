import { createTransport } from 'nodemailer';
import { SmtpFake } from './smtp-fake';

const AUTH = { user: 'mfa', password: 's3cret' };

describe('SmtpFake with the real nodemailer', () => {
  const fake = new SmtpFake({ auth: AUTH });

  const transport = (auth = AUTH) =>
    createTransport({
      host: '127.0.0.1',
      port: fake.port,
      secure: false,
      ignoreTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: auth.user, pass: auth.password },
    });

  const mail = {
    from: '"MFA Gateway" <no-reply@mfa.example>',
    to: 'anna@example.com',
    bcc: 'audit@example.com',
    subject: 'Ihr Anmeldecode – 123456',
    text: 'Ihr Code lautet 123456. Gültig für 5 Minuten.',
    html: '<p>Ihr Code lautet <b>123456</b>. Gültig für 5 Minuten.</p>',
  };

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('records a multipart text+html mail with its envelope, subject and both bodies', async () => {
    const info = await transport().sendMail(mail);

    expect(info.accepted).toEqual(['anna@example.com', 'audit@example.com']);
    const received = await fake.waitFor((m) => m.subject === mail.subject);
    expect(received.from).toBe('no-reply@mfa.example');
    expect(received.to).toEqual(['anna@example.com', 'audit@example.com']);
    expect(received.authUser).toBe('mfa');
    expect(received.headers['from']).toBe('MFA Gateway <no-reply@mfa.example>');
    expect(received.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(received.text).toBe(mail.text);
    expect(received.html).toBe(mail.html);
    expect(received.raw).toContain('Message-ID:');
  });

  it('accepts the smtp:// URL it advertises', async () => {
    await createTransport(fake.url).sendMail({ ...mail, subject: 'via url' });
    await expect(fake.waitFor((m) => m.subject === 'via url')).resolves.toMatchObject({ text: mail.text });
  });

  it('decodes base64 bodies and lists attachments', async () => {
    await transport().sendMail({
      ...mail,
      subject: 'with attachment',
      textEncoding: 'base64',
      attachments: [{ filename: 'codes.txt', content: 'AAAA-BBBB\n' }],
    });
    const received = await fake.waitFor((m) => m.subject === 'with attachment');
    expect(received.text).toBe(mail.text);
    expect(received.html).toBe(mail.html);
    expect(received.attachments).toEqual([{ filename: 'codes.txt', contentType: 'text/plain', size: 10 }]);
  });

  it('refuses a wrong password with 535', async () => {
    await expect(transport({ ...AUTH, password: 'wrong' }).sendMail(mail)).rejects.toMatchObject({ responseCode: 535 });
    expect(fake.mails).toHaveLength(0);
  });

  it('refuses mail without AUTH when credentials are configured', async () => {
    const anonymous = createTransport({ host: '127.0.0.1', port: fake.port, secure: false, ignoreTLS: true });
    await expect(anonymous.sendMail(mail)).rejects.toMatchObject({ responseCode: 530 });
  });

  it('answers an injected 451 at RCPT TO once, then accepts again', async () => {
    fake.failNext(1, { code: 451, message: 'Greylisted, try again later' });
    await expect(transport().sendMail(mail)).rejects.toMatchObject({ responseCode: 451 });
    expect(fake.mails).toHaveLength(0);
    await expect(transport().sendMail(mail)).resolves.toMatchObject({ accepted: ['anna@example.com', 'audit@example.com'] });
    expect(fake.mails).toHaveLength(1);
  });

  it('answers an injected 550 at DATA', async () => {
    fake.failNext(1, { code: 550, message: 'Message rejected as spam', stage: 'data' });
    await expect(transport().sendMail(mail)).rejects.toMatchObject({ responseCode: 550 });
    expect(fake.mails).toHaveLength(0);
  });

  it('refuses every transaction during an outage', async () => {
    fake.failFor(10_000, { code: 421, message: 'Service not available' });
    const client = transport();
    await expect(client.sendMail(mail)).rejects.toMatchObject({ responseCode: 421 });
    await expect(client.sendMail(mail)).rejects.toMatchObject({ responseCode: 421 });
  });
});

describe('SmtpFake without AUTH', () => {
  const fake = new SmtpFake();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('accepts mail from any client and does not offer STARTTLS', async () => {
    const transport = createTransport({ host: '127.0.0.1', port: fake.port, secure: false });
    await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'plain', text: 'hello' });
    await expect(fake.waitFor()).resolves.toMatchObject({ subject: 'plain', text: 'hello', html: null, authUser: null });
  });
});
