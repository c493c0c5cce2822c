import { Queue } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import { createBullConnection, JobIds, parseDeliveryJob, QueueName, sealedDeliveryAad, type DeliveryContent } from '@mfa/queue';
import { startRedisCluster, type TestRedisCluster } from '@mfa/testing';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { otpWorker } from '../../otp-worker/src/otp.worker';
import { loadGatewayConfig } from '../src/config/gateway-config';
import { startGateway, type RunningGateway } from './gateway-harness';
import { watchChallenge } from './watch-stream';

/**
 * The gateway and the otp worker on a three-master Redis Cluster (`REDIS_URL=redis-cluster://…`):
 * send limits and code checks (scripts), the queues, the events the gateway consumes, and the
 * pub/sub behind WatchChallenge. The test plays the telephony worker, as the out-of-band suite does.
 */
describe('on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let gateway: RunningGateway;
  let client: MfaClient;
  let otp: StartedWorker;
  let telephony: Queue;
  let events: Queue;
  let connection: ReturnType<typeof createBullConnection>;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    gateway = await startGateway({ driver: 'sqlite', env: { REDIS_URL: cluster.url } });
    client = gateway.client();
    otp = await startWorker(otpWorker, loadWorkerConfig('otp-worker', 4, { ...gateway.env, HTTP_PORT: '0' }), '127.0.0.1');
    connection = createBullConnection(cluster.url);
    telephony = new Queue(QueueName.Telephony, { connection, prefix: gateway.config.queuePrefix });
    events = new Queue(QueueName.Events, { connection, prefix: gateway.config.queuePrefix });
  });
  afterAll(async () => {
    await otp?.close();
    await telephony?.close();
    await events?.close();
    connection?.disconnect();
    await gateway?.close();
    await cluster?.stop();
  });

  async function deliveredCode(challengeId: string): Promise<DeliveryContent> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const job = await telephony.getJob(JobIds.delivery(challengeId));
      if (job) return JSON.parse(gateway.config.keyring.decryptText(parseDeliveryJob(job.data).sealed, sealedDeliveryAad(challengeId))) as DeliveryContent;
      if (Date.now() > deadline) throw new Error(`no delivery job for ${challengeId}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('refuses to start the gateway or a worker on a cluster with a prefix that has no {hash tag}', () => {
    const env = { ...gateway.env, QUEUE_PREFIX: 'mfa' };
    expect(() => loadGatewayConfig(env)).toThrow(/QUEUE_PREFIX "mfa" has no \{hash tag\}/);
    expect(() => loadWorkerConfig('otp-worker', 4, env)).toThrow(/QUEUE_PREFIX "mfa" has no \{hash tag\}/);
  });

  it('is ready, and enrolls, sends, reports and verifies an SMS code', async () => {
    expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(200);
    const enrollment = await client.enrollFactor({ user_id: 'clara', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550166' });
    await client.confirmEnrollment({ user_id: 'clara', factor_id: enrollment.factor.id, code: (await deliveredCode(enrollment.challenge_id)).code });

    const started = await client.startChallenge({ user_id: 'clara' });
    const { ended: watching } = watchChallenge(client, started.id);
    const code = await deliveredCode(started.id);
    await events.add(QueueName.Events, { v: 1, type: 'delivery.sent', challengeId: started.id, provider: 'twilio', providerRef: 'SM1' }, { jobId: JobIds.sent(started.id) });
    const deadline = Date.now() + 10_000;
    while ((await client.getChallenge({ challenge_id: started.id })).delivery !== 'DELIVERY_STATUS_SENT') {
      if (Date.now() > deadline) throw new Error('delivery.sent was not applied');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await client.verifyChallenge({ challenge_id: started.id, code: code.code })).ok).toBe(true);
    const seen = await watching;
    expect(seen.at(-1)?.status).toBe('CHALLENGE_STATUS_APPROVED');
  });
});
