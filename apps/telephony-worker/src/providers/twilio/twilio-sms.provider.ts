import type { Twilio } from 'twilio';
import type { ProviderReceipt } from '../provider-receipt';
import type { SentSmsQuery, SmsMessage, SmsProvider } from '../sms.provider';
import { classifyTwilioError, classifyTwilioLookupError } from './twilio-error-classification';

/**
 * How many of the latest messages to the number a lookup reads (one page). No `DateSent>`
 * filter: Twilio sets `date_sent` only once it hands a message on, so that filter misses the
 * queued message a lookup is looking for; `date_created` is checked here instead.
 */
export const LOOKUP_LIMIT = 50;

/** SMS through Twilio Programmable Messaging (`POST /Accounts/{sid}/Messages.json`). */
export class TwilioSmsProvider implements SmsProvider {
  readonly name = 'twilio-sms';

  constructor(
    private readonly client: Twilio,
    private readonly from: string,
  ) {}

  async send(message: SmsMessage): Promise<ProviderReceipt> {
    try {
      const sent = await this.client.messages.create({ to: message.to, from: this.from, body: message.body });
      return { providerRef: sent.sid };
    } catch (error) {
      throw classifyTwilioError(error, this.name);
    }
  }

  /** `GET /Accounts/{sid}/Messages.json?To=…&From=…`, newest first. */
  async findSent(query: SentSmsQuery): Promise<ProviderReceipt | undefined> {
    let messages: { sid: string; body: string | null; dateCreated: Date | null }[];
    try {
      messages = await this.client.messages.list({ to: query.to, from: this.from, limit: LOOKUP_LIMIT, pageSize: LOOKUP_LIMIT });
    } catch (error) {
      throw classifyTwilioLookupError(error, this.name);
    }
    const found = messages.find((m) => m.dateCreated !== null && m.dateCreated >= query.since && (m.body ?? '').includes(query.containing));
    return found ? { providerRef: found.sid } : undefined;
  }
}
