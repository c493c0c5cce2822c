import { challengeEndedKey, deliveredMarkerKey, JobIds, OtpCodeStore, parseOtpJob, QueueName } from '@mfa/queue';
import { consumeQueue, type WorkerDefinition } from '@mfa/worker-host';
import { IssueCodeUseCase } from './issue-code.usecase';

/** The `otp` queue: one job per out-of-band challenge (SMS, voice, e-mail). */
export const otpWorker: WorkerDefinition = {
  name: 'otp-worker',
  defaultConcurrency: 64,
  start(context) {
    const { config, logger, producer } = context;
    const issueCode = new IssueCodeUseCase(
      new OtpCodeStore(context.redis, config.keyring, config.queuePrefix),
      {
        delivered: (challengeId) => deliveredMarkerKey(config.queuePrefix, challengeId),
        ended: (challengeId) => challengeEndedKey(config.queuePrefix, challengeId),
      },
      producer,
      config.keyring,
      logger,
    );
    return [
      consumeQueue(context, {
        queue: QueueName.Otp,
        parse: parseOtpJob,
        handle: async (job, bullJob) => {
          await issueCode.execute(job, bullJob.timestamp);
        },
        onFinalFailure: async (job, error) => {
          logger.error({ challengeId: job.challengeId, err: error.name }, 'could not issue a code');
          await producer.add(QueueName.Events, JobIds.failed(job.challengeId), {
            v: 1,
            type: 'delivery.failed',
            challengeId: job.challengeId,
            provider: 'otp',
            reason: 'the code could not be issued',
            permanent: true,
          });
        },
      }),
    ];
  },
};
