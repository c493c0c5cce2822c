import { randomBytes } from 'node:crypto';
import { countSegments } from './sms-segments';

const API_VERSION = '2010-04-01';

/** Twilio SIDs are a two-letter type prefix and 32 lowercase hex digits. */
export function newSid(prefix: 'AC' | 'SM' | 'CA' | 'PN'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Twilio dates look like `Mon, 13 Aug 2018 21:38:46 +0000`, which the SDK parses as RFC 2822. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export interface CreatedMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  createdAt: Date;
}

export function messageResource(m: CreatedMessage): Record<string, unknown> {
  const date = rfc2822(m.createdAt);
  const uri = `/${API_VERSION}/Accounts/${m.accountSid}/Messages/${m.sid}`;
  return {
    account_sid: m.accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: date,
    date_sent: null,
    date_updated: date,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    // A Messaging Service picks the sender later, so Twilio reports 0 segments and `accepted`.
    num_media: '0',
    num_segments: m.from ? String(countSegments(m.body)) : '0',
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.from ? 'queued' : 'accepted',
    subresource_uris: { media: `${uri}/Media.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

export interface CreatedCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  createdAt: Date;
}

export function callResource(c: CreatedCall): Record<string, unknown> {
  const date = rfc2822(c.createdAt);
  const uri = `/${API_VERSION}/Accounts/${c.accountSid}/Calls/${c.sid}`;
  return {
    account_sid: c.accountSid,
    annotation: null,
    answered_by: null,
    api_version: API_VERSION,
    caller_name: null,
    date_created: date,
    date_updated: date,
    direction: 'outbound-api',
    duration: null,
    end_time: null,
    forwarded_from: null,
    from: c.from,
    from_formatted: c.from,
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: c.sid,
    start_time: null,
    status: 'queued',
    subresource_uris: {
      notifications: `${uri}/Notifications.json`,
      recordings: `${uri}/Recordings.json`,
      events: `${uri}/Events.json`,
    },
    to: c.to,
    to_formatted: c.to,
    trunk_sid: null,
    uri: `${uri}.json`,
  };
}

/**
 * One page of a 2010-04-01 list (`{ messages: […] }` or `{ calls: […] }`, newest first) with
 * Twilio's paging fields; twilio-node follows `next_page_uri` to read further pages.
 */
export function listPage(
  url: URL,
  key: 'messages' | 'calls',
  records: readonly Record<string, unknown>[],
  paging: { page: number; pageSize: number },
): Record<string, unknown> {
  const { page, pageSize } = paging;
  const start = page * pageSize;
  const slice = records.slice(start, start + pageSize);
  const pageUri = (n: number) => {
    const query = new URLSearchParams(url.searchParams);
    query.set('PageSize', String(pageSize));
    query.set('Page', String(n));
    return `${url.pathname}?${query.toString()}`;
  };
  return {
    [key]: slice,
    end: start + Math.max(0, slice.length - 1),
    first_page_uri: pageUri(0),
    next_page_uri: start + pageSize < records.length ? pageUri(page + 1) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? pageUri(page - 1) : null,
    start,
    uri: `${url.pathname}${url.search}`,
  };
}
