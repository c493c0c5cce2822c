import { parseDeliveryJob, QueueName, RedisDeliveredMarkers } from '@mfa/queue';
import type { RunningWorker } from '@mfa/queue';
import { consumeQueue, type WorkerContext, type WorkerDefinition } from '@mfa/worker-host';
import { loadEmailConfig } from './config/email-config';
import { DeliverCodeUseCase } from './deliver-code.usecase';
import { DeliveryProcessor } from './delivery.processor';
import { SmtpEmailProvider } from './providers/smtp/smtp-email.provider';

export const EMAIL_WORKER_NAME = 'email-worker';
export const EMAIL_WORKER_DEFAULT_CONCURRENCY = 16;

type Env = Record<string, string | undefined>;

/**
 * The email worker: consumes `email`, sends each code through one pooled SMTP transport per
 * process, and closes that transport after the BullMQ worker has drained. `env` is read at start.
 */
export function createEmailWorker(env: Env = process.env): WorkerDefinition {
  return {
    name: EMAIL_WORKER_NAME,
    defaultConcurrency: EMAIL_WORKER_DEFAULT_CONCURRENCY,
    start(context: WorkerContext): RunningWorker[] {
      const settings = loadEmailConfig(context.config, env);
      const provider = new SmtpEmailProvider({
        url: settings.smtpUrl,
        from: settings.mailFrom,
        timeoutMs: settings.smtpTimeoutMs,
        maxConnections: settings.smtpMaxConnections,
      });
      const processor = new DeliveryProcessor(
        new DeliverCodeUseCase({
          keyring: context.config.keyring,
          provider,
          markers: new RedisDeliveredMarkers(context.redis, context.config.queuePrefix),
          events: context.producer,
          metrics: context.metrics,
          logger: context.logger,
        }),
      );
      const running = consumeQueue(
        context,
        {
          queue: QueueName.Email,
          parse: parseDeliveryJob,
          handle: (payload, job) => processor.process(payload, job),
          onFinalFailure: (payload, error, job) => processor.onFinalFailure(payload, error, job),
        },
        () => provider.close(),
      );
      const relay = new URL(settings.smtpUrl);
      context.logger.info({ provider: provider.name, relay: `${relay.protocol}//${relay.host}` }, 'email worker consuming');
      return [running];
    },
  };
}

export const emailWorker: WorkerDefinition = createEmailWorker();
