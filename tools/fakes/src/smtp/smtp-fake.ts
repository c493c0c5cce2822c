import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { FaultPlan } from '../shared/fault-plan';
import { RecordLog } from '../shared/record-log';
import { parseMail, type ParsedMail } from './mime-message';

export interface SmtpFakeOptions {
  /** 0 (the default) picks a free port; read `.port` / `.url` after `start()`. */
  port?: number;
  host?: string;
  /** When set, AUTH PLAIN/LOGIN is required and only these credentials pass (others get 535). */
  auth?: { user: string; password: string };
  /** Offer STARTTLS with smtp-server's built-in self-signed certificate. Off by default. */
  starttls?: boolean;
  /** Largest message accepted, advertised in EHLO (SIZE); bigger ones get 552. */
  maxMessageBytes?: number;
}

/** A mail the fake accepted. `from`/`to` are the SMTP envelope, so Bcc recipients appear too. */
export interface ReceivedMail extends ParsedMail {
  id: string;
  from: string;
  to: string[];
  authUser: string | null;
  raw: string;
  at: Date;
}

/**
 * A reply to inject: a 4xx is a temporary failure the email worker should retry (greylisting,
 * full queue), a 5xx a permanent one. `stage` picks whether RCPT TO or DATA is refused.
 */
export interface SmtpFault {
  code: number;
  message: string;
  stage?: 'rcpt' | 'data';
}

interface SmtpReplyError extends Error {
  responseCode: number;
}

function smtpError(code: number, message: string): SmtpReplyError {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * A loopback SMTP server for the email worker's nodemailer transport: accepts mail like a
 * relay would, records each one parsed, and can refuse with the codes real servers send.
 */
export class SmtpFake {
  private readonly options: SmtpFakeOptions;
  private readonly mailLog = new RecordLog<ReceivedMail>();
  private readonly faults = new FaultPlan<SmtpFault>();
  /** The fault chosen for a session's current transaction, taken once at its first RCPT. */
  private readonly transactionFaults = new Map<string, { transaction: number; fault: SmtpFault | undefined }>();
  private server: SMTPServer | undefined;

  constructor(options: SmtpFakeOptions = {}) {
    this.options = options;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get port(): number {
    const address = this.server?.server.address();
    if (!address || typeof address === 'string') throw new Error('SmtpFake is not started');
    return (address as AddressInfo).port;
  }

  /** A nodemailer-ready URL, with credentials when AUTH is on. */
  get url(): string {
    const auth = this.options.auth;
    const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
    return `smtp://${credentials}${this.host}:${this.port}`;
  }

  get mails(): readonly ReceivedMail[] {
    return this.mailLog.all;
  }

  async start(): Promise<this> {
    const { auth, starttls = false, maxMessageBytes = 10 * 1024 * 1024 } = this.options;
    const server = new SMTPServer({
      name: 'smtp-fake.localhost',
      banner: 'smtp-fake ready',
      logger: false,
      size: maxMessageBytes,
      disabledCommands: [...(auth ? [] : ['AUTH']), ...(starttls ? [] : ['STARTTLS'])],
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !auth,
      // Plain-text AUTH is fine on loopback; the real relay is reached over TLS in production.
      allowInsecureAuth: true,
      onAuth: (credentials, _session, callback) => {
        if (auth && credentials.username === auth.user && credentials.password === auth.password) {
          callback(null, { user: credentials.username });
        } else {
          callback(smtpError(535, 'Authentication credentials invalid'));
        }
      },
      // A new MAIL FROM starts a new transaction: forget the last one's fault, as a real relay
      // would (smtp-server only advances its counter after an accepted message).
      onMailFrom: (_address, session, callback) => {
        this.transactionFaults.delete(session.id);
        callback();
      },
      onRcptTo: (_address, session, callback) => {
        const fault = this.faultFor(session);
        callback(fault && (fault.stage ?? 'rcpt') === 'rcpt' ? smtpError(fault.code, fault.message) : null);
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          () => callback(null, 'OK: queued'),
          (error: Error) => callback(error),
        );
      },
      onClose: (session) => {
        this.transactionFaults.delete(session.id);
      },
    });
    server.on('error', () => {
      // Client-side socket errors (a test killing its transport) must not crash the fake.
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.options.port ?? 0, this.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const connection of server.connections) connection.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  waitFor(predicate?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail> {
    return this.mailLog.waitFor(predicate, timeoutMs);
  }

  onMail(listener: (mail: ReceivedMail) => void): () => void {
    return this.mailLog.subscribe(listener);
  }

  /** The next `count` mail transactions are refused with `fault`. */
  failNext(count: number, fault: SmtpFault): void {
    this.faults.failNext(count, fault);
  }

  /** Every mail transaction is refused with `fault` for `ms` milliseconds. */
  failFor(ms: number, fault: SmtpFault): void {
    this.faults.failFor(ms, fault);
  }

  reset(): void {
    this.mailLog.clear();
    this.faults.clear();
  }

  private faultFor(session: SMTPServerSession): SmtpFault | undefined {
    const current = this.transactionFaults.get(session.id);
    if (current && current.transaction === session.transaction) return current.fault;
    const fault = this.faults.take();
    this.transactionFaults.set(session.id, { transaction: session.transaction, fault });
    return fault;
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    if (stream.sizeExceeded) throw smtpError(552, 'Message exceeds fixed maximum message size');
    const fault = this.faultFor(session);
    if (fault && fault.stage === 'data') throw smtpError(fault.code, fault.message);

    const raw = Buffer.concat(chunks);
    const mailFrom = session.envelope.mailFrom;
    this.mailLog.add({
      id: randomBytes(8).toString('hex'),
      from: mailFrom ? mailFrom.address : '',
      to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
      authUser: typeof session.user === 'string' ? session.user : null,
      ...parseMail(raw),
      raw: raw.toString('utf8'),
      at: new Date(),
    });
  }
}
