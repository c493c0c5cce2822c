import type { Twilio } from 'twilio';
import type { ProviderReceipt } from '../provider-receipt';
import type { PlacedCallQuery, VoiceCall, VoiceProvider } from '../voice.provider';
import { renderCodeTwiml } from './code-twiml';
import { classifyTwilioError, classifyTwilioLookupError } from './twilio-error-classification';
import { LOOKUP_LIMIT } from './twilio-sms.provider';

/**
 * Voice calls through Twilio (`POST /Accounts/{sid}/Calls.json`) with inline TwiML, so no
 * webhook has to serve the script and the code never sits on a URL.
 */
export class TwilioVoiceProvider implements VoiceProvider {
  readonly name = 'twilio-voice';

  constructor(
    private readonly client: Twilio,
    private readonly from: string,
  ) {}

  async call(call: VoiceCall): Promise<ProviderReceipt> {
    try {
      const placed = await this.client.calls.create({ to: call.to, from: this.from, twiml: renderCodeTwiml(call.script) });
      return { providerRef: placed.sid };
    } catch (error) {
      throw classifyTwilioError(error, this.name);
    }
  }

  /**
   * `GET /Accounts/{sid}/Calls.json?To=…&From=…`, newest first. No `StartTime>` filter: a
   * queued call has no start time yet. A call carries no code to compare, so any call to the
   * number since `since` counts.
   */
  async findPlaced(query: PlacedCallQuery): Promise<ProviderReceipt | undefined> {
    let calls: { sid: string; dateCreated: Date | null }[];
    try {
      calls = await this.client.calls.list({ to: query.to, from: this.from, limit: LOOKUP_LIMIT, pageSize: LOOKUP_LIMIT });
    } catch (error) {
      throw classifyTwilioLookupError(error, this.name);
    }
    const found = calls.find((c) => c.dateCreated !== null && c.dateCreated >= query.since);
    return found ? { providerRef: found.sid } : undefined;
  }
}
