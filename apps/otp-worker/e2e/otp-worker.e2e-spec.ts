import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Keyring } from '@mfa/crypto';
import { challengeEndedKey, createBullConnection, JobIds, JobProducer, OtpCodeStore, parseDeliveryJob, QueueName, RedisDeliveredMarkers, sealedDeliveryAad, sealedDestinationAad, type DeliveryContent, type OtpJob } from '@mfa/queue';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { otpWorker } from '../src/otp.worker';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('otp worker', () => {
  const prefix = `{mfa-test-${randomBytes(4).toString('hex')}}`;
  const keySpec = Keyring.generateSpec('t1');
  const keyring = Keyring.parse(keySpec);
  const connection = createBullConnection(REDIS_URL);
  const producer = new JobProducer(connection, prefix);
  const telephony = new Queue(QueueName.Telephony, { connection, prefix });
  const email = new Queue(QueueName.Email, { connection, prefix });
  const events = new Queue(QueueName.Events, { connection, prefix });
  const codes = new OtpCodeStore(connection, keyring, prefix);
  let worker: StartedWorker;

  beforeAll(async () => {
    worker = await startWorker(otpWorker, loadWorkerConfig('otp-worker', 4, { REDIS_URL, QUEUE_PREFIX: prefix, HTTP_PORT: '0', MFA_ENCRYPTION_KEYS: keySpec }), '127.0.0.1');
  });
  afterAll(async () => {
    await worker.close();
    await producer.close();
    await Promise.all([telephony.close(), email.close(), events.close()]);
    const keys = await connection.keys(`${prefix}*`);
    if (keys.length) await connection.del(...keys);
    connection.disconnect();
  });

  const otpJob = (challengeId: string, channel: OtpJob['channel'], destination: string, ttlSeconds = 300): OtpJob => ({
    v: 1,
    challengeId,
    tenantId: 'ten_1',
    channel,
    sealedDestination: keyring.encrypt(destination, sealedDestinationAad(challengeId)),
    codeLength: 8,
    ttlSeconds,
    locale: 'de-DE',
    purpose: 'challenge',
    issuer: 'Acme',
  });

  async function deliveredContent(queue: Queue, challengeId: string): Promise<DeliveryContent> {
    const job = await eventually(async () => (await queue.getJob(JobIds.delivery(challengeId))) ?? undefined);
    const delivery = parseDeliveryJob(job.data);
    expect(delivery).toMatchObject({ challengeId, locale: 'de-DE', purpose: 'challenge', issuer: 'Acme' });
    return JSON.parse(keyring.decryptText(delivery.sealed, sealedDeliveryAad(challengeId))) as DeliveryContent;
  }

  it('draws a code, stores only its hash, and hands it sealed to the telephony worker', async () => {
    await producer.add(QueueName.Otp, 'chl_sms1', otpJob('chl_sms1', 'sms', '+14155550123'));
    const content = await deliveredContent(telephony, 'chl_sms1');
    expect(content.to).toBe('+14155550123');
    expect(content.code).toMatch(/^\d{8}$/);

    const raw = JSON.stringify(await Promise.all((await connection.keys(`${prefix}*`)).map(async (key) => [key, await connection.dump(key)])));
    expect(raw).not.toContain(content.code);
    expect(raw).not.toContain('4155550123');

    expect(await codes.consume('chl_sms1', '00000000')).toBe('wrong');
    expect(await codes.consume('chl_sms1', content.code)).toBe('ok');
    expect(await codes.consume('chl_sms1', content.code)).toBe('missing');
  });

  it('routes e-mail codes to the email queue', async () => {
    await producer.add(QueueName.Otp, 'chl_mail1', otpJob('chl_mail1', 'email', 'jane@example.com'));
    expect((await deliveredContent(email, 'chl_mail1')).to).toBe('jane@example.com');
  });

  it('does nothing when run again for a challenge whose code was already issued', async () => {
    await producer.add(QueueName.Otp, 'chl_twice', otpJob('chl_twice', 'voice', '+14155550124'));
    const first = await deliveredContent(telephony, 'chl_twice');
    // The same challenge again, as a retry after a crash would run it.
    await producer.add(QueueName.Otp, 'chl_twice-retry', otpJob('chl_twice', 'voice', '+14155550124'));
    await eventually(async () => ((await producer.queue(QueueName.Otp).getJobState('chl_twice-retry')) === 'completed' ? true : undefined));
    expect((await deliveredContent(telephony, 'chl_twice')).code).toBe(first.code);
    expect(await codes.consume('chl_twice', first.code)).toBe('ok');
  });

  it('does nothing when run again after the delivery was made and its completed job removed', async () => {
    await producer.add(QueueName.Otp, 'chl_gone', otpJob('chl_gone', 'sms', '+14155550126'));
    const first = await deliveredContent(telephony, 'chl_gone');
    // What the telephony worker leaves once the provider accepted; then the completed job is
    // removed, as removeOnComplete does once enough later jobs completed.
    await new RedisDeliveredMarkers(connection, prefix).mark('chl_gone', { providerRef: 'SM1' }, 300);
    await (await telephony.getJob(JobIds.delivery('chl_gone')))!.remove();
    await producer.add(QueueName.Otp, 'chl_gone-retry', otpJob('chl_gone', 'sms', '+14155550126'));
    await eventually(async () => ((await producer.queue(QueueName.Otp).getJobState('chl_gone-retry')) === 'completed' ? true : undefined));
    expect(await telephony.getJob(JobIds.delivery('chl_gone'))).toBeUndefined();
    expect(await codes.consume('chl_gone', first.code)).toBe('ok');
  });

  it('draws no code and queues nothing for a challenge the gateway marked ended (a rerun after a withdrawal), and reports no failure for one past its lifetime', async () => {
    // The gateway took back the delivery job of an earlier run and marked the challenge ended.
    await connection.set(challengeEndedKey(prefix, 'chl_ended'), '1', 'EX', 60);
    await producer.add(QueueName.Otp, 'chl_ended', otpJob('chl_ended', 'sms', '+14155550127'));
    await eventually(async () => ((await producer.queue(QueueName.Otp).getJobState('chl_ended')) === 'completed' ? true : undefined));
    // Past its lifetime as well: an ended challenge's delivery did not fail, so no failure is reported.
    await connection.set(challengeEndedKey(prefix, 'chl_ended_late'), '1', 'EX', 60);
    await producer.queue(QueueName.Otp).add(QueueName.Otp, otpJob('chl_ended_late', 'sms', '+14155550127', 1), { jobId: 'chl_ended_late', delay: 1_200 });
    await eventually(async () => ((await producer.queue(QueueName.Otp).getJobState('chl_ended_late')) === 'completed' ? true : undefined), 15_000);
    for (const id of ['chl_ended', 'chl_ended_late']) {
      expect(await telephony.getJob(JobIds.delivery(id))).toBeUndefined();
      expect(await events.getJob(JobIds.failed(id))).toBeUndefined();
      expect(await connection.exists(`${prefix}:otp-code:${id}`)).toBe(0);
    }
  });

  it('reports a challenge whose lifetime ran out before the code was drawn', async () => {
    const queue = producer.queue(QueueName.Otp);
    await queue.add(QueueName.Otp, otpJob('chl_late', 'sms', '+14155550125', 1), { jobId: 'chl_late', delay: 1_200 });
    const event = await eventually(async () => (await events.getJob(JobIds.failed('chl_late'))) ?? undefined, 15_000);
    expect(event.data).toMatchObject({ type: 'delivery.failed', challengeId: 'chl_late', permanent: true });
    expect(await telephony.getJob(JobIds.delivery('chl_late'))).toBeUndefined();
  });

  it('fails a job with an invalid payload at once, without retries', async () => {
    await producer.queue(QueueName.Otp).add(QueueName.Otp, { v: 1, challengeId: 'chl_bad' }, { jobId: 'chl_bad', attempts: 5 });
    const state = await eventually(async () => {
      const s = await producer.queue(QueueName.Otp).getJobState('chl_bad');
      return s === 'failed' ? s : undefined;
    });
    expect(state).toBe('failed');
    expect((await producer.queue(QueueName.Otp).getJob('chl_bad'))?.attemptsMade).toBe(1);
  });

  it('serves its health, readiness and metrics', async () => {
    const url = await worker.app.getUrl();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('mfa_jobs_processed_total{queue="otp",outcome="completed"');
    expect(metrics).toMatch(/mfa_job_duration_seconds_count\{[^}]*queue="otp"[^}]*\} [1-9]/);
  });
});
