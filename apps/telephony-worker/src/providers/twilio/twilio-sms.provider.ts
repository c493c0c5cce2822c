import type { Twilio } from 'twilio';
import type { ProviderReceipt } from '../provider-receipt';
import type { SmsMessage, SmsProvider } from '../sms.provider';
import { classifyTwilioError } from './twilio-error-classification';

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
}
