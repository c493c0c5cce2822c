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

/** The filters and paging of a Messages or Calls list request (`GET …/Messages.json`, `…/Calls.json`). */
export interface ListFilter {
  to: string | null;
  from: string | null;
  /** Inclusive bounds, from `DateSent>` / `DateSent<` (messages) or `StartTime>` / `StartTime<` (calls). */
  after: Date | null;
  before: Date | null;
  /** `DateSent=` / `StartTime=`: that UTC day when a bare date, else that instant. */
  on: { date: Date; wholeDay: boolean } | null;
  page: number;
  pageSize: number;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Twilio's list query: `To`, `From`, the date filter written `{name}`, `{name}>`, `{name}<`
 * (YYYY-MM-DD or an ISO 8601 date-time, as twilio-node sends), `PageSize` (≤ 1000) and `Page`.
 */
export function parseListFilter(query: URLSearchParams, dateName: 'DateSent' | 'StartTime'): Parsed<ListFilter> {
  const date = (name: string): Date | null | undefined => {
    const raw = param(query, name);
    if (raw === null) return null;
    const parsed = new Date(DATE_ONLY.test(raw) ? `${raw}T00:00:00Z` : raw);
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
  };
  const after = date(`${dateName}>`);
  const before = date(`${dateName}<`);
  const on = date(dateName);
  if (after === undefined || before === undefined || on === undefined) return { ok: false, error: twilioErrors.invalidDate() };
  const pageSize = Number(param(query, 'PageSize') ?? DEFAULT_PAGE_SIZE);
  const page = Number(param(query, 'Page') ?? 0);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE || !Number.isInteger(page) || page < 0) {
    return { ok: false, error: twilioErrors.invalidPaging() };
  }
  return {
    ok: true,
    value: {
      to: param(query, 'To'),
      from: param(query, 'From'),
      after,
      before,
      on: on === null ? null : { date: on, wholeDay: DATE_ONLY.test(param(query, dateName) ?? '') },
      page,
      pageSize,
    },
  };
}

/**
 * Whether a record passes the filter. The fake hands every message and call over at once, so
 * its send (start) date is its creation date; real Twilio leaves `date_sent` / `start_time`
 * empty while a record is queued, and its date filters miss such records.
 */
export function matchesListFilter(filter: ListFilter, to: string, from: string | null, at: Date): boolean {
  if (filter.to !== null && filter.to !== to) return false;
  if (filter.from !== null && filter.from !== from) return false;
  if (filter.after !== null && at < filter.after) return false;
  if (filter.before !== null && at > filter.before) return false;
  if (filter.on !== null) {
    if (filter.on.wholeDay ? at.toISOString().slice(0, 10) !== filter.on.date.toISOString().slice(0, 10) : at.getTime() !== filter.on.date.getTime()) {
      return false;
    }
  }
  return true;
}
