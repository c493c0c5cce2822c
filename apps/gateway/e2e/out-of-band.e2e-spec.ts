import { status, type ServiceError } from '@grpc/grpc-js';
import { Queue } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { createBullConnection, JobIds, parseDeliveryJob, QueueName, sealedDeliveryAad, type DeliveryContent } from '@mfa/queue';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { otpWorker } from '../../otp-worker/src/otp.worker';
import { AttemptRecorder } from '../src/services/attempt-recorder.service';
import { DeliveryRelay, DISPATCH_GRACE_MS } from '../src/services/delivery-relay.service';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';
import { watchChallenge } from './watch-stream';

/**
 * Out-of-band factors through the real queue: gateway → otp worker (in process) → the delivery
 * job a telephony or email worker would send. The test plays that last worker: it opens the
 * sealed job with the shared key, reads the code, and reports delivery like a worker does.
 */
describe.each(['sqlite', 'postgres'] as const)('SMS, voice and e-mail factors (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;
  let otp: StartedWorker;
  const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const queues: Queue[] = [];

  beforeAll(async () => {
    gateway = await startGateway({ driver, env: { MFA_SEND_LIMIT_PER_DESTINATION: '4/600' } });
    client = gateway.client();
    otp = await startWorker(otpWorker, loadWorkerConfig('otp-worker', 4, { ...gateway.env, HTTP_PORT: '0' }), '127.0.0.1');
    for (const name of [QueueName.Telephony, QueueName.Email, QueueName.Events, QueueName.Otp]) queues.push(new Queue(name, { connection, prefix: gateway.config.queuePrefix }));
  });
  afterAll(async () => {
    await otp.close();
    await Promise.all(queues.map((q) => q.close()));
    await gateway.close();
    connection.disconnect();
  });

  const [telephony, email, events, otpQueue] = [0, 1, 2, 3].map((i) => () => queues[i]);

  async function deliveredCode(queue: Queue, challengeId: string): Promise<DeliveryContent> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const job = await queue.getJob(JobIds.delivery(challengeId));
      if (job) {
        const delivery = parseDeliveryJob(job.data);
        return JSON.parse(gateway.config.keyring.decryptText(delivery.sealed, sealedDeliveryAad(challengeId))) as DeliveryContent;
      }
      if (Date.now() > deadline) throw new Error(`no delivery job for ${challengeId}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function challengeWhere(id: string, predicate: (c: Challenge) => boolean): Promise<Challenge> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const challenge = await client.getChallenge({ challenge_id: id });
      if (predicate(challenge)) return challenge;
      if (Date.now() > deadline) throw new Error(`challenge ${id} stayed ${challenge.status}/${challenge.delivery}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('enrolls an SMS factor by a code sent to the number, then verifies a login code', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'sam', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550123', locale: 'en' });
    expect(enrollment.factor).toMatchObject({ type: 'FACTOR_TYPE_SMS', status: 'FACTOR_STATUS_PENDING', display: '+1 *** *** 0123' });
    expect(enrollment.challenge_id).not.toBe('');
    const ownership = await deliveredCode(telephony(), enrollment.challenge_id);
    expect(ownership.to).toBe('+14155550123');
    expect(ownership.code).toMatch(/^\d{6}$/);

    const active = await client.confirmEnrollment({ user_id: 'sam', factor_id: enrollment.factor.id, code: ownership.code });
    expect(active.status).toBe('FACTOR_STATUS_ACTIVE');

    const challenge = await client.startChallenge({ user_id: 'sam', factor_id: enrollment.factor.id });
    expect(challenge).toMatchObject({ type: 'FACTOR_TYPE_SMS', status: 'CHALLENGE_STATUS_PENDING', delivery: 'DELIVERY_STATUS_QUEUED' });
    const login = await deliveredCode(telephony(), challenge.id);
    const wrong = login.code === '000000' ? '111111' : '000000';
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: wrong })).toMatchObject({ ok: false, attempts_remaining: 4 });
    const verified = await client.verifyChallenge({ challenge_id: challenge.id, code: login.code });
    expect(verified.ok).toBe(true);
    expect(verified.challenge!.status).toBe('CHALLENGE_STATUS_APPROVED');
    // Single use: the same code cannot approve another challenge.
    const again = await client.startChallenge({ user_id: 'sam', factor_id: enrollment.factor.id });
    expect((await client.verifyChallenge({ challenge_id: again.id, code: login.code })).ok).toBe(false);
  });

  it('keeps a right code good when its approval could not be committed, and drops the stored code once it is', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'sid', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550124' });
    await client.confirmEnrollment({ user_id: 'sid', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    const challenge = await client.startChallenge({ user_id: 'sid', factor_id: enrollment.factor.id });
    const { code } = await deliveredCode(telephony(), challenge.id);
    const stored = `${gateway.config.queuePrefix}:otp-code:${challenge.id}`;

    // The database drops the connection while the approval is written: the transaction rolls back.
    const approve = jest.spyOn(gateway.app.get(AttemptRecorder), 'right').mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    try {
      await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code }), status.UNAVAILABLE);
    } finally {
      approve.mockRestore();
    }
    expect(await connection.exists(stored)).toBe(1);
    const retried = await client.verifyChallenge({ challenge_id: challenge.id, code });
    expect(retried).toMatchObject({ ok: true, challenge: { status: 'CHALLENGE_STATUS_APPROVED' } });
    // Deleted right after the answer, not before it.
    const deadline = Date.now() + 2_000;
    while ((await connection.exists(stored)) === 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await connection.exists(stored)).toBe(0);
  });

  it('refuses a second enrollment of the same number and an invalid number, sending nothing', async () => {
    const first = await client.enrollFactor({ user_id: 'dup', type: 'FACTOR_TYPE_VOICE', phone_number: '+14155550100' });
    await client.confirmEnrollment({ user_id: 'dup', factor_id: first.factor.id, code: (await deliveredCode(telephony(), first.challenge_id)).code });
    const error = await grpcError(client.enrollFactor({ user_id: 'dup', type: 'FACTOR_TYPE_VOICE', phone_number: '+14155550100' }), status.ALREADY_EXISTS);
    expect(error.details).not.toContain('4155550100');
    const invalid = await grpcError(client.enrollFactor({ user_id: 'dup', type: 'FACTOR_TYPE_SMS', phone_number: '+9991234' }), status.INVALID_ARGUMENT);
    expect(invalid.details).not.toContain('9991234');
    await grpcError(client.enrollFactor({ user_id: 'dup', type: 'FACTOR_TYPE_EMAIL', email: 'not an address' }), status.INVALID_ARGUMENT);
  });

  it('sends e-mail codes through the email queue and masks the address', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'erin', type: 'FACTOR_TYPE_EMAIL', email: 'Erin@Example.com', locale: 'de-DE' });
    expect(enrollment.factor.display).toBe('E***@example.com');
    const content = await deliveredCode(email(), enrollment.challenge_id);
    expect(content.to).toBe('Erin@example.com');
    await client.confirmEnrollment({ user_id: 'erin', factor_id: enrollment.factor.id, code: content.code });
    await grpcError(client.enrollFactor({ user_id: 'erin', type: 'FACTOR_TYPE_EMAIL', email: 'erin@EXAMPLE.com' }), status.ALREADY_EXISTS);
  });

  it('moves delivery QUEUED → SENT on the worker report, and a permanent failure fails the challenge', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'dora', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550111' });
    await client.confirmEnrollment({ user_id: 'dora', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    const sent = await client.startChallenge({ user_id: 'dora' });
    await events().add('events', { v: 1, type: 'delivery.sent', challengeId: sent.id, provider: 'twilio', providerRef: 'SM1' }, { jobId: JobIds.sent(sent.id) });
    expect((await challengeWhere(sent.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT')).status).toBe('CHALLENGE_STATUS_PENDING');

    const failed = await client.startChallenge({ user_id: 'dora' });
    await events().add('events', { v: 1, type: 'delivery.failed', challengeId: failed.id, provider: 'twilio', reason: 'the phone number is not valid', permanent: true }, { jobId: JobIds.failed(failed.id) });
    const after = await challengeWhere(failed.id, (c) => c.delivery === 'DELIVERY_STATUS_FAILED');
    expect(after).toMatchObject({ status: 'CHALLENGE_STATUS_FAILED', reason: 'the phone number is not valid' });
  });

  it('takes back the delivery job of a canceled challenge that no worker has picked up', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'cleo', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550177' });
    await client.confirmEnrollment({ user_id: 'cleo', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    const challenge = await client.startChallenge({ user_id: 'cleo' });
    await deliveredCode(telephony(), challenge.id); // waiting in the telephony queue: this suite plays the telephony worker
    // Nothing is left to send it: the delivery is no longer required, not QUEUED for good.
    expect(await client.cancelChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_NOT_REQUIRED' });
    expect(await telephony().getJob(JobIds.delivery(challenge.id))).toBeUndefined();
    expect((await client.getChallenge({ challenge_id: challenge.id })).delivery).toBe('DELIVERY_STATUS_NOT_REQUIRED');
  });

  it('takes back the code of an ownership check that a re-enrollment replaced, when no worker has picked it up', async () => {
    const replaced = await client.enrollFactor({ user_id: 'rhea', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550188' });
    // Waiting in the telephony queue (this suite plays the telephony worker); the otp job that added it may not have completed yet.
    await deliveredCode(telephony(), replaced.challenge_id);
    const replacing = await client.enrollFactor({ user_id: 'rhea', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550188' });
    expect(await telephony().getJob(JobIds.delivery(replaced.challenge_id!))).toBeUndefined();
    expect(await client.getChallenge({ challenge_id: replaced.challenge_id })).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_NOT_REQUIRED' });
    const code = (await deliveredCode(telephony(), replacing.challenge_id)).code;
    expect(await client.confirmEnrollment({ user_id: 'rhea', factor_id: replacing.factor.id, code })).toMatchObject({ status: 'FACTOR_STATUS_ACTIVE' });
  });

  it('returns the same challenge for a repeated idempotency key and sends one code', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'ida', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550122' });
    await client.confirmEnrollment({ user_id: 'ida', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    const first = await client.startChallenge({ user_id: 'ida', idempotency_key: 'login-1' });
    const second = await client.startChallenge({ user_id: 'ida', idempotency_key: 'login-1' });
    expect(second.id).toBe(first.id);
    await deliveredCode(telephony(), first.id);
    const otpJobs = await otpQueue().getJobs(['completed', 'waiting', 'active']);
    expect(otpJobs.filter((j) => j.data.challengeId === first.id)).toHaveLength(1);
  });

  it('queues the code on a retry with the same key when the first call\'s job never reached the queue', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'ines', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550144' });
    await client.confirmEnrollment({ user_id: 'ines', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    await otpQueue().pause();
    let first: Challenge;
    try {
      first = await client.startChallenge({ user_id: 'ines', idempotency_key: 'login-lost' });
      // As if the gateway had died after committing the challenge, before its job was queued.
      expect(await otpQueue().remove(JobIds.otp(first.id))).toBe(1);
    } finally {
      await otpQueue().resume();
    }
    const retried = await client.startChallenge({ user_id: 'ines', idempotency_key: 'login-lost' });
    expect(retried.id).toBe(first.id);
    const code = await deliveredCode(telephony(), first.id);
    expect((await client.verifyChallenge({ challenge_id: first.id, code: code.code })).ok).toBe(true);
    const again = await client.startChallenge({ user_id: 'ines', idempotency_key: 'login-lost' });
    expect(again.id).toBe(first.id);
    const otpJobs = await otpQueue().getJobs(['completed', 'waiting', 'active', 'delayed']);
    expect(otpJobs.filter((j) => j.data.challengeId === first.id)).toHaveLength(1);
  });

  it('queues a challenge whose job never reached the queue, once it has waited past the grace period', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'jon', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550155' });
    await client.confirmEnrollment({ user_id: 'jon', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    const relay = gateway.app.get(DeliveryRelay);
    await otpQueue().pause();
    let lost: Challenge;
    let kept: Challenge;
    try {
      lost = await client.startChallenge({ user_id: 'jon' });
      kept = await client.startChallenge({ user_id: 'jon' });
      // As if the gateway had died after committing `lost`, before its job was queued.
      expect(await otpQueue().remove(JobIds.otp(lost.id))).toBe(1);
      expect(await relay.run(Date.now())).toBe(0); // within the grace period: may still be on its way
    } finally {
      await otpQueue().resume();
    }
    // `kept` has its job. A round of the relay's own timer running just then makes this call a no-op: try again.
    let requeued = 0;
    for (let i = 0; i < 50 && requeued === 0; i++) {
      requeued = await relay.run(Date.now() + DISPATCH_GRACE_MS + 1_000);
      if (requeued === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(requeued).toBe(1);
    const code = await deliveredCode(telephony(), lost.id);
    expect((await client.verifyChallenge({ challenge_id: lost.id, code: code.code })).ok).toBe(true);
    await deliveredCode(telephony(), kept.id);
    const otpJobs = await otpQueue().getJobs(['completed', 'waiting', 'active', 'delayed']);
    expect(otpJobs.filter((j) => j.data.challengeId === lost.id || j.data.challengeId === kept.id)).toHaveLength(2);
    // A finished otp job trimmed by retention is not a lost one while the job delivering its code is there.
    expect(await otpQueue().remove(JobIds.otp(kept.id))).toBe(1);
    expect(await relay.run(Date.now() + DISPATCH_GRACE_MS + 1_000)).toBe(0);
    expect(await otpQueue().getJob(JobIds.otp(kept.id))).toBeUndefined();
  });

  it('enforces the per-destination send limit with RESOURCE_EXHAUSTED and retry-after, queueing nothing', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'rita', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550133' });
    await client.confirmEnrollment({ user_id: 'rita', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    for (let i = 0; i < 3; i++) await client.startChallenge({ user_id: 'rita' });
    const limited = (await grpcError(client.startChallenge({ user_id: 'rita' }), status.RESOURCE_EXHAUSTED)) as ServiceError;
    const retryAfter = Number(limited.metadata.get('retry-after')[0]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
  });

  it('applies the SMS country allowlist at enrollment and at every challenge', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'carl', type: 'FACTOR_TYPE_SMS', phone_number: '+4915112345678' });
    await client.confirmEnrollment({ user_id: 'carl', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    await client.setPolicy({ sms_allowed_countries: ['US'], number_matching: true });
    try {
      await grpcError(client.enrollFactor({ user_id: 'carl', type: 'FACTOR_TYPE_SMS', phone_number: '+4915112345679' }), status.FAILED_PRECONDITION);
      await grpcError(client.startChallenge({ user_id: 'carl' }), status.FAILED_PRECONDITION);
    } finally {
      await client.setPolicy({ number_matching: true });
    }
  });

  it('streams a challenge through WatchChallenge: current state first, then each change, then ends', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'walt', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550144' });
    await client.confirmEnrollment({ user_id: 'walt', factor_id: enrollment.factor.id, code: (await deliveredCode(telephony(), enrollment.challenge_id)).code });
    const challenge = await client.startChallenge({ user_id: 'walt' });
    const { first, ended } = watchChallenge(client, challenge.id);
    const code = (await deliveredCode(telephony(), challenge.id)).code;
    await first;
    await events().add('events', { v: 1, type: 'delivery.sent', challengeId: challenge.id, provider: 'twilio' }, { jobId: JobIds.sent(challenge.id) });
    await challengeWhere(challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    await client.verifyChallenge({ challenge_id: challenge.id, code });
    const seen = (await ended).map((c) => `${c.status}/${c.delivery}`);
    expect(seen[0]).toBe('CHALLENGE_STATUS_PENDING/DELIVERY_STATUS_QUEUED');
    expect(seen).toContain('CHALLENGE_STATUS_PENDING/DELIVERY_STATUS_SENT');
    expect(seen[seen.length - 1]).toBe('CHALLENGE_STATUS_APPROVED/DELIVERY_STATUS_SENT');
  });

  // Watchers are told of a change; their safety poll runs every 5 s, so a watch that ends within 2 s heard it.
  it('tells the watchers of an ownership check at once when ConfirmEnrollment approves it, or a re-enrollment replaces it', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'wanda', type: 'FACTOR_TYPE_SMS', phone_number: '+14155550166' });
    const code = (await deliveredCode(telephony(), enrollment.challenge_id)).code;
    await challengeWhere(enrollment.challenge_id, (c) => c.status === 'CHALLENGE_STATUS_PENDING');
    const approved = watchChallenge(client, enrollment.challenge_id, 2_000);
    await approved.first;
    await client.confirmEnrollment({ user_id: 'wanda', factor_id: enrollment.factor.id, code });
    expect((await approved.ended).at(-1)?.status).toBe('CHALLENGE_STATUS_APPROVED');

    const first = await client.enrollFactor({ user_id: 'wanda', type: 'FACTOR_TYPE_EMAIL', email: 'wanda@example.com' });
    const canceled = watchChallenge(client, first.challenge_id, 2_000);
    await canceled.first;
    await client.enrollFactor({ user_id: 'wanda', type: 'FACTOR_TYPE_EMAIL', email: 'wanda@example.com' });
    expect((await canceled.ended).at(-1)?.status).toBe('CHALLENGE_STATUS_CANCELED');
  });

  it('keeps no plaintext code, phone number or user id in Redis, not even in key names', async () => {
    // A user id is often an e-mail address: the send limit's key names it by a keyed hash only.
    const userId = 'zed@example.com';
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: '+14155550155' });
    const content = await deliveredCode(telephony(), enrollment.challenge_id);
    const keys = await connection.keys(`${gateway.config.queuePrefix}*`);
    const dump = (await Promise.all(keys.map(async (key) => `${key} ${(await connection.dumpBuffer(key))?.toString('latin1') ?? ''}`))).join('\n');
    expect(dump).not.toContain(content.code);
    expect(dump).not.toContain('4155550155');
    expect(keys.some((key) => key.includes(':limit:user:'))).toBe(true);
    for (const encoded of [userId, Buffer.from(userId).toString('base64url'), Buffer.from(userId).toString('base64')]) expect(keys.join('\n')).not.toContain(encoded);
  });
});
