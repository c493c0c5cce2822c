import { parseDuoJob, QueueName } from '@mfa/queue';
import { consumeQueue, type WorkerDefinition } from '@mfa/worker-host';
import { CheckDuoPasscodeUseCase } from './check-duo-passcode.usecase';
import { loadDuoSettings } from './config/duo-settings';
import { DuoSecrets } from './duo-secrets';
import { RedisDuoTxidRepository } from './duo-txid.repository';
import { AuthShare, authSlots } from './auth-share';
import { DuoProcessor } from './duo.processor';
import { PreauthDuoUserUseCase } from './preauth-duo-user.usecase';
import { DuoAuthClient } from './providers/duo/duo-auth-client';
import { DuoAuthProvider } from './providers/duo/duo-auth.provider';
import { RunDuoAuthUseCase } from './run-duo-auth.usecase';

export const DUO_WORKER_NAME = 'duo-worker';
/**
 * Jobs spend their time waiting on Duo (an auth long-polls until the user answers, up to the
 * challenge's lifetime), so many fit in one process: each is one idle HTTPS request.
 */
export const DUO_DEFAULT_CONCURRENCY = 128;

/**
 * The `duo` queue: Duo Auth API v2 preauth, passcode and asynchronous push/phone auth. `env`
 * holds the provider settings (DUO_*); where Duo is reached is configuration only
 * (DUO_API_BASE_URL).
 */
export function createDuoWorker(env: Record<string, string | undefined> = process.env, tuning: { pollIntervalMs?: number } = {}): WorkerDefinition {
  return {
    name: DUO_WORKER_NAME,
    defaultConcurrency: DUO_DEFAULT_CONCURRENCY,
    start(context) {
      const { config, metrics, logger, producer } = context;
      const settings = loadDuoSettings(config, env);
      if (settings.apiBaseUrl !== `https://${settings.apiHost}`) logger.info({ apiBaseUrl: settings.apiBaseUrl }, 'Duo API base URL overridden');
      const duo = new DuoAuthProvider(
        new DuoAuthClient({ integrationKey: settings.integrationKey, secretKey: settings.secretKey, apiHost: settings.apiHost, baseUrl: settings.apiBaseUrl }),
      );
      const secrets = new DuoSecrets(config.keyring, logger);
      const processor = new DuoProcessor({
        preauth: new PreauthDuoUserUseCase({ secrets, duo, metrics, logger }),
        passcode: new CheckDuoPasscodeUseCase({ secrets, duo, metrics, logger }),
        auth: new RunDuoAuthUseCase({
          secrets,
          duo,
          txids: new RedisDuoTxidRepository(context.bullConnection, config.queuePrefix),
          events: producer,
          metrics,
          logger,
          pollIntervalMs: tuning.pollIntervalMs,
          share: new AuthShare(authSlots(config.concurrency)),
        }),
      });
      return [
        consumeQueue(context, {
          queue: QueueName.Duo,
          parse: parseDuoJob,
          handle: (payload, job, stopping) => processor.process(payload, job, stopping),
          onFinalFailure: (payload, error) => processor.onFinalFailure(payload, error),
        }),
      ];
    },
  };
}
