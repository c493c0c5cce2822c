import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SmtpFake } from '@mfa/fakes';
import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { diagnosticsOf, type EmailMessage } from '../email.provider';
import { SmtpFailureReason } from './smtp-error-classification';
import { SmtpEmailProvider } from './smtp-email.provider';

const AUTH = { user: 'mfa', password: 's3cret' };
const FROM = '"MFA Gateway" <no-reply@mfa.example>';
const message: EmailMessage = { to: 'anna@example.com', subject: 'Your Acme verification code', text: 'code 123456', html: '<p>code <b>123456</b></p>' };

describe('SmtpEmailProvider through real nodemailer against the SMTP fake', () => {
  const fake = new SmtpFake({ auth: AUTH });
  const providers: SmtpEmailProvider[] = [];
  const provider = (url = fake.url, timeoutMs = 2_000) => {
    const created = new SmtpEmailProvider({ url, from: FROM, timeoutMs, maxConnections: 2 });
    providers.push(created);
    return created;
  };

  beforeAll(() => fake.start());
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it('delivers a text+html mail from MAIL_FROM and returns the Message-ID as providerRef', async () => {
    const result = await provider().send(message);

    const mail = await fake.waitFor();
    expect(mail).toMatchObject({ from: 'no-reply@mfa.example', to: ['anna@example.com'], subject: message.subject, text: message.text, html: message.html, authUser: 'mfa' });
    expect(mail.headers['auto-submitted']).toBe('auto-generated');
    expect(result.providerRef).toMatch(/^<.+@mfa\.example>$/);
    expect(mail.raw).toContain(`Message-ID: ${result.providerRef}`);
  });

  it('reuses its pooled connection for consecutive mails', async () => {
    const pooled = provider();
    await pooled.send(message);
    await pooled.send(message);
    expect(fake.mails).toHaveLength(2);
  });

  it('turns a 535 into a permanent "rejected the credentials" error', async () => {
    const wrong = new URL(fake.url);
    wrong.password = 'wrong';
    const error = await provider(wrong.toString()).send(message).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error).toMatchObject({ reason: SmtpFailureReason.Credentials, provider: 'smtp' });
    expect(diagnosticsOf(error)).toMatchObject({ smtpCode: 'EAUTH', responseCode: 535, action: 'check SMTP_URL and MAIL_FROM' });
    expect(fake.mails).toHaveLength(0);
  });

  it('turns a 451 (greylisting) into a retryable error', async () => {
    fake.failNext(1, { code: 451, message: 'Greylisted, try again later' });
    const error = await provider().send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(diagnosticsOf(error)).toMatchObject({ responseCode: 451 });
  });

  it('turns a 550 at RCPT TO into a permanent "refused the recipient address" error', async () => {
    fake.failNext(1, { code: 550, message: 'No such user anna@example.com' });
    const error = await provider().send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).reason).toBe(SmtpFailureReason.Recipient);
    // The reply text quotes the address: it must not travel in what gets logged or reported.
    expect(JSON.stringify(diagnosticsOf(error))).not.toContain('anna@');
    expect((error as Error).message).not.toContain('anna@');
  });

  it('turns a 550 at DATA into a permanent "refused the message" error', async () => {
    fake.failNext(1, { code: 554, message: 'Message rejected as spam', stage: 'data' });
    await expect(provider().send(message)).rejects.toMatchObject({ reason: SmtpFailureReason.Message });
  });

  it('turns a refused connection into a retryable error', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const error = await provider(`smtp://127.0.0.1:${closed}`).send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(diagnosticsOf(error)).toMatchObject({ smtpCode: 'ESOCKET' });
  });

  describe('against a relay that accepts the connection and never greets', () => {
    let silent: Server;
    const sockets: Socket[] = [];
    beforeAll(
      () =>
        new Promise<void>((resolve) => {
          silent = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1', () => resolve());
        }),
    );
    afterAll(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );

    it('gives up after the greeting timeout with a retryable error', async () => {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      const error = await provider(`smtp://127.0.0.1:${port}`, 300).send(message).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableProviderError);
      expect(diagnosticsOf(error)).toMatchObject({ smtpCode: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});
