import { twilioErrors, type TwilioError } from './twilio-errors';

/** An SMS the fake accepted, as a test or the developer page sees it. */
export interface ReceivedMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  at: Date;
}

/** A call the fake accepted: what Twilio would have dialled and what it would have said. */
export interface ReceivedCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  twiml: string | null;
  url: string | null;
  applicationSid: string | null;
  statusCallback: string | null;
  at: Date;
}

export type MessageParams = Omit<ReceivedMessage, 'sid' | 'accountSid' | 'at'>;
export type CallParams = Omit<ReceivedCall, 'sid' | 'accountSid' | 'at'>;
type Parsed<T> = { ok: true; value: T } | { ok: false; error: TwilioError };

const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_BODY_CHARS = 1600;

/** Messaging also addresses channels (`whatsapp:+4915…`); the number behind the prefix must be E.164. */
function isValidMessageAddress(to: string): boolean {
  return E164.test(to.replace(/^whatsapp:/, ''));
}

function param(form: URLSearchParams, name: string): string | null {
  const value = form.get(name);
  return value === null || value === '' ? null : value;
}

/** Checks in the order Twilio reports them: recipient, sender, content. */
export function parseMessageParams(form: URLSearchParams): Parsed<MessageParams> {
  const to = param(form, 'To');
  if (to === null) return { ok: false, error: twilioErrors.messageToRequired() };
  if (!isValidMessageAddress(to)) return { ok: false, error: twilioErrors.invalidTo(to) };
  const from = param(form, 'From');
  const messagingServiceSid = param(form, 'MessagingServiceSid');
  if (from === null && messagingServiceSid === null) return { ok: false, error: twilioErrors.messageFromRequired() };
  const body = param(form, 'Body');
  if (body === null && param(form, 'MediaUrl') === null && param(form, 'ContentSid') === null) {
    return { ok: false, error: twilioErrors.messageBodyRequired() };
  }
  if (body !== null && body.length > MAX_BODY_CHARS) return { ok: false, error: twilioErrors.messageBodyTooLong() };
  return {
    ok: true,
    value: { to, from, messagingServiceSid, body: body ?? '', statusCallback: param(form, 'StatusCallback') },
  };
}

export function parseCallParams(form: URLSearchParams): Parsed<CallParams> {
  const to = param(form, 'To');
  if (to === null) return { ok: false, error: twilioErrors.callToRequired() };
  if (!E164.test(to)) return { ok: false, error: twilioErrors.invalidTo(to) };
  const from = param(form, 'From');
  if (from === null) return { ok: false, error: twilioErrors.callFromRequired() };
  const twiml = param(form, 'Twiml');
  const url = param(form, 'Url');
  const applicationSid = param(form, 'ApplicationSid');
  if (twiml === null && url === null && applicationSid === null) return { ok: false, error: twilioErrors.callUrlRequired() };
  return { ok: true, value: { to, from, twiml, url, applicationSid, statusCallback: param(form, 'StatusCallback') } };
}

/** The `To` of a request, for fault messages; the raw form value even when it is missing. */
export function requestedTo(form: URLSearchParams): string {
  return form.get('To') ?? '';
}
