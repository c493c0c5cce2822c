import type { Twilio } from 'twilio';
import type { ProviderReceipt } from '../provider-receipt';
import type { VoiceCall, VoiceProvider } from '../voice.provider';
import { renderCodeTwiml } from './code-twiml';
import { classifyTwilioError } from './twilio-error-classification';

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
}
