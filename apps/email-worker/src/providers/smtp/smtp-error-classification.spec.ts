import { classifySmtpError, SmtpFailureReason } from './smtp-error-classification';

/** Errors shaped as nodemailer builds them; the message is deliberately misleading. */
const smtpError = (fields: { code?: string; responseCode?: number; command?: string }) =>
  Object.assign(new Error('550 user unknown, invalid login, timeout'), fields);

describe('classifySmtpError', () => {
  it.each([
    ['451 greylisting at RCPT TO', { code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }],
    ['421 service not available', { code: 'EENVELOPE', responseCode: 421, command: 'RCPT TO' }],
    ['452 insufficient storage at DATA', { code: 'EMESSAGE', responseCode: 452, command: 'DATA' }],
    ['454 temporary authentication failure', { code: 'EAUTH', responseCode: 454, command: 'AUTH PLAIN' }],
    ['a closed connection', { code: 'ECONNECTION', command: 'CONN' }],
    ['a connect or greeting timeout', { code: 'ETIMEDOUT', command: 'CONN' }],
    ['a socket error', { code: 'ESOCKET', command: 'CONN' }],
    ['a DNS failure', { code: 'EDNS', command: 'CONN' }],
    ['a garbled reply', { code: 'EPROTOCOL' }],
    ['503 bad sequence of commands', { code: 'EPROTOCOL', responseCode: 503 }],
    ['an error without fields', {}],
  ])('retries %s', (_name, fields) => {
    expect(classifySmtpError(smtpError(fields))).toEqual({ kind: 'retryable' });
  });

  it.each([
    ['535 invalid credentials', { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, SmtpFailureReason.Credentials],
    ['EAUTH without a reply', { code: 'EAUTH', command: 'API' }, SmtpFailureReason.Credentials],
    ['530 authentication required', { code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM' }, SmtpFailureReason.Credentials],
    ['550 at RCPT TO', { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, SmtpFailureReason.Recipient],
    ['551 at RCPT TO', { code: 'EENVELOPE', responseCode: 551, command: 'RCPT TO' }, SmtpFailureReason.Recipient],
    ['552 at RCPT TO', { code: 'EENVELOPE', responseCode: 552, command: 'RCPT TO' }, SmtpFailureReason.Recipient],
    ['553 at RCPT TO', { code: 'EENVELOPE', responseCode: 553, command: 'RCPT TO' }, SmtpFailureReason.Recipient],
    ['554 at RCPT TO', { code: 'EENVELOPE', responseCode: 554, command: 'RCPT TO' }, SmtpFailureReason.Recipient],
    ['an address nodemailer refuses', { code: 'EENVELOPE', command: 'API' }, SmtpFailureReason.Recipient],
    ['550 at MAIL FROM (unverified sender)', { code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM' }, SmtpFailureReason.Sender],
    ['554 at DATA (content refused)', { code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, SmtpFailureReason.Message],
    ['500 unrecognized command', { code: 'EPROTOCOL', responseCode: 500 }, SmtpFailureReason.Message],
    ['an invalid transport configuration', { code: 'ECONFIG' }, SmtpFailureReason.Configuration],
  ])('fails %s at once', (_name, fields, reason) => {
    expect(classifySmtpError(smtpError(fields))).toMatchObject({ kind: 'permanent', reason });
  });

  it('marks credentials, sender and configuration failures as the operator’s to fix, not recipient ones', () => {
    expect(classifySmtpError(smtpError({ code: 'EAUTH', responseCode: 535 }))).toMatchObject({ operator: true });
    expect(classifySmtpError(smtpError({ code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM' }))).toMatchObject({ operator: true });
    expect(classifySmtpError(smtpError({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }))).toMatchObject({ operator: false });
  });

  it('ignores the message text entirely', () => {
    expect(classifySmtpError(new Error('535 Authentication credentials invalid'))).toEqual({ kind: 'retryable' });
    expect(classifySmtpError('550 mailbox unavailable')).toEqual({ kind: 'retryable' });
    expect(classifySmtpError(null)).toEqual({ kind: 'retryable' });
  });
});
