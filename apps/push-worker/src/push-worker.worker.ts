import { parsePushJob, QueueName, RedisDeliveredMarkers, type RunningWorker } from '@mfa/queue';
import { consumeQueue, type WorkerContext, type WorkerDefinition } from '@mfa/worker-host';
import { loadPushConfig } from './config/push-config';
import { DeliveryProcessor } from './delivery.processor';
import { FcmPushProvider } from './providers/fcm/fcm-push.provider';
import { SendPushUseCase } from './send-push.usecase';

export const PUSH_WORKER_NAME = 'push-worker';
/** Pushes are one short HTTPS call each: many can be in flight per process. */
export const PUSH_WORKER_DEFAULT_CONCURRENCY = 64;

type Env = Record<string, string | undefined>;

/**
 * The push worker: consumes `push`, wakes the authenticator app through FCM (firebase-admin), and
 * lets go of the firebase-admin app after the BullMQ worker has drained. `env` is read at start.
 */
export function createPushWorker(env: Env = process.env): WorkerDefinition {
  return {
    name: PUSH_WORKER_NAME,
    defaultConcurrency: PUSH_WORKER_DEFAULT_CONCURRENCY,
    start(context: WorkerContext): RunningWorker[] {
      const settings = loadPushConfig(context.config, env);
      const provider = new FcmPushProvider({ projectId: settings.projectId, serviceAccount: settings.serviceAccount, apiBaseUrl: settings.apiBaseUrl });
      const processor = new DeliveryProcessor(
        new SendPushUseCase({
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
          queue: QueueName.Push,
          parse: parsePushJob,
          handle: (payload, job) => processor.process(payload, job),
          onFinalFailure: (payload, error, job) => processor.onFinalFailure(payload, error, job),
        },
        () => provider.close(),
      );
      const log = { provider: provider.name, project: settings.projectId, serviceAccount: settings.serviceAccount.clientEmail, endpoint: provider.endpoint };
      if (settings.apiBaseUrl && context.config.production) context.logger.warn(log, 'FCM_API_BASE_URL is set: all Google traffic goes to that endpoint');
      context.logger.info(log, 'push worker consuming');
      return [running];
    },
  };
}

export const pushWorker: WorkerDefinition = createPushWorker();
