/** Reasons reported in `delivery.failed`: readable, never the address or the code. */
export const SmtpFailureReason = {
  Credentials: 'the mail server rejected the credentials',
  Recipient: 'the mail server refused the recipient address',
  Sender: 'the mail server refused the sender address',
  Message: 'the mail server refused the message',
  Configuration: 'the mail transport is misconfigured',
} as const;
export type SmtpFailureReason = (typeof SmtpFailureReason)[keyof typeof SmtpFailureReason];

export type SmtpErrorClass =
  | { kind: 'retryable' }
  /** `operator`: only someone fixing the configuration can make this mail go out. */
  | { kind: 'permanent'; reason: SmtpFailureReason; operator: boolean };

const RETRYABLE: SmtpErrorClass = { kind: 'retryable' };
const permanent = (reason: SmtpFailureReason, operator: boolean): SmtpErrorClass => ({ kind: 'permanent', reason, operator });

/** Replies saying the login itself is refused (RFC 4954): 530 required, 534 too weak, 535 invalid, 538 needs TLS. */
const AUTH_REPLIES = new Set([530, 534, 535, 538]);
/** Mailbox unavailable, not local, storage exceeded, name not allowed, transaction failed. */
const REFUSED_REPLIES = new Set([550, 551, 552, 553, 554]);
const AUTH_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2']);

/** The fields nodemailer sets on its errors; everything else about an error is ignored. */
interface NodemailerErrorFields {
  code?: string;
  responseCode?: number;
  command?: string;
}

function fieldsOf(error: unknown): NodemailerErrorFields {
  if (typeof error !== 'object' || error === null) return {};
  const { code, responseCode, command } = error as Record<string, unknown>;
  return {
    code: typeof code === 'string' ? code : undefined,
    responseCode: typeof responseCode === 'number' ? responseCode : undefined,
    command: typeof command === 'string' ? command : undefined,
  };
}

/** Which part of the transaction a refusal was about, by the SMTP command nodemailer was on. */
function refusal(command: string | undefined): SmtpErrorClass {
  if (command === 'MAIL FROM') return permanent(SmtpFailureReason.Sender, true);
  if (command === 'DATA') return permanent(SmtpFailureReason.Message, false);
  return permanent(SmtpFailureReason.Recipient, false);
}

/**
 * Classifies a nodemailer error by its `responseCode`, `code` and `command` fields, never by its
 * message. A 4xx reply is always temporary (greylisting, full queue, 454 auth hiccup) and comes
 * first; connection failures, timeouts and anything unknown are retried too — the retry budget
 * bounds them, and a mail lost to a misclassified hiccup cannot be recovered.
 */
export function classifySmtpError(error: unknown): SmtpErrorClass {
  const { code, responseCode, command } = fieldsOf(error);
  const reply = responseCode ?? 0;
  if (reply >= 400 && reply < 500) return RETRYABLE;
  if (AUTH_REPLIES.has(reply) || (code !== undefined && AUTH_CODES.has(code))) return permanent(SmtpFailureReason.Credentials, true);
  if (REFUSED_REPLIES.has(reply)) return refusal(command);
  // Without a reply: nodemailer itself refused the envelope (an address it cannot use).
  if (code === 'EENVELOPE') return refusal(command);
  if (code === 'ECONFIG') return permanent(SmtpFailureReason.Configuration, true);
  // Other 5xx replies are permanent (RFC 5321), except 503: a session out of step, fine on a new one.
  if (reply >= 500 && reply < 600 && reply !== 503) return permanent(SmtpFailureReason.Message, false);
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, ETLS, EPROTOCOL, EMAXLIMIT, 503, unknown.
  return RETRYABLE;
}
