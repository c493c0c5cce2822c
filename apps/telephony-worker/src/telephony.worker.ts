import { parseDeliveryJob, QueueName } from '@mfa/queue';
import { consumeQueue, type WorkerDefinition } from '@mfa/worker-host';
import { loadTwilioSettings } from './config/twilio-settings';
import { DeliverCodeUseCase } from './deliver-code.usecase';
import { RedisDeliveredMarker, RedisSendAttempts } from './delivered-marker.repository';
import { DeliveryProcessor } from './delivery.processor';
import { createTwilioClient, TWILIO_REQUEST_TIMEOUT_MS } from './providers/twilio/twilio-client';
import { TwilioSmsProvider } from './providers/twilio/twilio-sms.provider';
import { TwilioVoiceProvider } from './providers/twilio/twilio-voice.provider';

export const TELEPHONY_WORKER_NAME = 'telephony-worker';
/** Jobs spend their time waiting on Twilio's HTTP answers, so many fit in one process. */
export const TELEPHONY_DEFAULT_CONCURRENCY = 32;

export interface TelephonyWorkerOptions {
  /** Per Twilio request; tests shorten it. */
  twilioTimeoutMs?: number;
}

/**
 * The `telephony` queue: one-time codes by Twilio SMS and voice call. `env` holds the provider
 * settings (TWILIO_*); where Twilio is reached is configuration only (TWILIO_API_BASE_URL).
 */
export function createTelephonyWorker(env: Record<string, string | undefined> = process.env, options: TelephonyWorkerOptions = {}): WorkerDefinition {
  return {
    name: TELEPHONY_WORKER_NAME,
    defaultConcurrency: TELEPHONY_DEFAULT_CONCURRENCY,
    start(context) {
      const { config, metrics, logger, producer } = context;
      const settings = loadTwilioSettings(config, env);
      if (settings.apiBaseUrl) logger.info({ apiBaseUrl: settings.apiBaseUrl }, 'Twilio API base URL overridden');
      const client = createTwilioClient(settings, options.twilioTimeoutMs ?? TWILIO_REQUEST_TIMEOUT_MS);
      const deliverCode = new DeliverCodeUseCase({
        keyring: config.keyring,
        marker: new RedisDeliveredMarker(context.bullConnection, config.queuePrefix),
        // Same blocking connection: the record must be written before the provider is called.
        attempts: new RedisSendAttempts(context.bullConnection, config.queuePrefix),
        events: producer,
        sms: new TwilioSmsProvider(client, settings.fromNumber),
        voice: new TwilioVoiceProvider(client, settings.fromNumber),
        metrics,
        logger,
      });
      const processor = new DeliveryProcessor(deliverCode);
      return [
        consumeQueue(context, {
          queue: QueueName.Telephony,
          parse: parseDeliveryJob,
          handle: (payload, job) => processor.process(payload, job),
          onFinalFailure: (payload, error) => processor.onFinalFailure(payload, error),
        }),
      ];
    },
  };
}
