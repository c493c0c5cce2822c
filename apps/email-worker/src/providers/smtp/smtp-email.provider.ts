import { createTransport, type Transporter } from 'nodemailer';
import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { withDiagnostics, type EmailMessage, type EmailProvider, type EmailSendResult, type ProviderDiagnostics } from '../email.provider';
import { classifySmtpError } from './smtp-error-classification';

export const SMTP_PROVIDER = 'smtp';

export interface SmtpEmailProviderOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465` (implicit TLS). */
  url: string;
  /** `"MFA Gateway" <no-reply@example.com>` */
  from: string;
  /** Connect, greeting and socket inactivity limit: a hung relay must not hold a job forever. */
  timeoutMs: number;
  /** Connections kept open to the relay by this process. */
  maxConnections: number;
}

const PROVIDER_REF_MAX = 128;

/** SMTP through nodemailer's pooled transport: one pool per worker process, reused by every job. */
export class SmtpEmailProvider implements EmailProvider {
  readonly name = SMTP_PROVIDER;
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpEmailProviderOptions) {
    this.transport = createTransport({
      url: options.url,
      pool: true,
      maxConnections: options.maxConnections,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      // nodemailer's own logging would print addresses; failures are logged here, masked.
      logger: false,
    });
  }

  async send(message: EmailMessage): Promise<EmailSendResult> {
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        // An automated message (RFC 3834): no out-of-office or other auto-replies quoting the code.
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
      });
      const messageId = typeof info.messageId === 'string' ? info.messageId : undefined;
      return { providerRef: messageId && messageId.length <= PROVIDER_REF_MAX ? messageId : undefined };
    } catch (error) {
      throw this.toProviderError(error);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  private toProviderError(error: unknown): Error {
    const classified = classifySmtpError(error);
    const diagnostics = smtpDiagnostics(error);
    // Credentials, sender and configuration are the operator's to fix: say where to look.
    if (classified.kind === 'permanent' && classified.operator) diagnostics.action = 'check SMTP_URL and MAIL_FROM';
    const provided =
      classified.kind === 'retryable'
        ? new RetryableProviderError(`smtp: temporary failure (${diagnostics.smtpCode ?? diagnostics.responseCode ?? 'unknown'})`, SMTP_PROVIDER)
        : new PermanentProviderError(classified.reason, SMTP_PROVIDER);
    return withDiagnostics(provided, diagnostics);
  }
}

/** The structured fields of a nodemailer error; the reply text is left out, it can quote the address. */
function smtpDiagnostics(error: unknown): ProviderDiagnostics {
  const { code, responseCode, command } = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  return {
    smtpCode: typeof code === 'string' ? code : undefined,
    responseCode: typeof responseCode === 'number' ? responseCode : undefined,
    command: typeof command === 'string' ? command : undefined,
  };
}
