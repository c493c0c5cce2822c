import { Queue } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { TwilioFake } from '@mfa/fakes';
import { createBullConnection, JobIds, parseDeliveryJob, QueueName, sealedDeliveryAad, type DeliveryContent, type OtpJob } from '@mfa/queue';
import { eventually } from '@mfa/testing';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { IssueCodeUseCase } from '../../otp-worker/src/issue-code.usecase';
import { otpWorker } from '../../otp-worker/src/otp.worker';
import { createTelephonyWorker } from '../../telephony-worker/src/telephony.worker';
import { DeliveryRelay, SETTLE_GRACE_MS } from '../src/services/delivery-relay.service';
import { OutOfBandDispatcher } from '../src/services/out-of-band-dispatcher';
import { startGateway, type RunningGateway } from './gateway-harness';

type IssueResult = Awaited<ReturnType<IssueCodeUseCase['execute']>>;

interface OtpRunHold {
  /** Resolves with the challenge id once the run is held. */
  held: Promise<string>;
  /** Lets the held run go on, and the otp worker's use case run unheld from then on. */
  restore(): void;
}

/**
 * Holds the next run of the otp worker's use case (whichever challenge it is for) before or after
 * it issues the code, with its BullMQ job still active (locked by the worker): from outside, the
 * worker between adding the delivery job and completing its own job. `crashAfter`: once let go,
 * the run fails as a worker lost right after issuing would, and BullMQ runs the job again.
 */
function holdNextOtpRun(at: 'before' | 'after', crashAfter = false): OtpRunHold {
  const original = IssueCodeUseCase.prototype.execute;
  let armed = true;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let signalHeld!: (challengeId: string) => void;
  const held = new Promise<string>((resolve) => (signalHeld = resolve));
  const spy = jest.spyOn(IssueCodeUseCase.prototype, 'execute').mockImplementation(async function (this: IssueCodeUseCase, job: OtpJob, queuedAt: number): Promise<IssueResult> {
    if (!armed) return original.call(this, job, queuedAt);
    armed = false;
    if (at === 'before') {
      signalHeld(job.challengeId);
      await released;
      return original.call(this, job, queuedAt);
    }
    const result = await original.call(this, job, queuedAt);
    signalHeld(job.challengeId);
    await released;
    if (crashAfter) throw new Error('worker lost after issuing the code');
    return result;
  });
  return {
    held,
    restore() {
      release();
      spy.mockRestore();
    },
  };
}

/**
 * A CancelChallenge that lands while the otp worker still holds its job (the audit's "StartChallenge,
 * then CancelChallenge 0–3 ms later"): real gateway, real otp worker, the real telephony worker
 * against the loopback Twilio. The telephony queue is paused while the race is set up, so the delivery
 * job waits the way it does in the few milliseconds before a telephony worker takes it.
 */
describe.each(['sqlite', 'postgres'] as const)('withdrawing the delivery of a challenge whose otp job a worker holds (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;
  let twilio: TwilioFake;
  let otp: StartedWorker;
  let telephonyWorker: StartedWorker;
  const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let telephony: Queue;
  let otpQueue: Queue;

  beforeAll(async () => {
    twilio = await new TwilioFake().start();
    gateway = await startGateway({ driver });
    client = gateway.client();
    telephony = new Queue(QueueName.Telephony, { connection, prefix: gateway.config.queuePrefix });
    otpQueue = new Queue(QueueName.Otp, { connection, prefix: gateway.config.queuePrefix });
    await telephony.pause();
    otp = await startWorker(otpWorker, loadWorkerConfig('otp-worker', 4, { ...gateway.env, HTTP_PORT: '0' }), '127.0.0.1');
    const twilioEnv = { TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_FROM_NUMBER: '+15005550006', TWILIO_API_BASE_URL: twilio.url };
    telephonyWorker = await startWorker(createTelephonyWorker(twilioEnv), loadWorkerConfig('telephony-worker', 4, { ...gateway.env, ...twilioEnv, HTTP_PORT: '0' }), '127.0.0.1');
  });
  afterAll(async () => {
    await telephonyWorker?.close();
    await otp?.close();
    await Promise.all([telephony?.close(), otpQueue?.close()]);
    await gateway?.close();
    await twilio?.stop();
    connection.disconnect();
  });
  afterEach(async () => {
    await telephony.pause();
  });

  async function deliveryJobCode(challengeId: string): Promise<string> {
    const job = await eventually(`the delivery job of ${challengeId}`, async () => (await telephony.getJob(JobIds.delivery(challengeId))) ?? undefined);
    return (JSON.parse(gateway.config.keyring.decryptText(parseDeliveryJob(job.data).sealed, sealedDeliveryAad(challengeId))) as DeliveryContent).code;
  }

  const otpJobState = (challengeId: string): Promise<string> => otpQueue.getJobState(JobIds.otp(challengeId));

  /** An active SMS factor whose ownership check was answered from its job, which then goes (nothing sent for it). */
  async function smsUser(userId: string, phone: string): Promise<void> {
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: phone });
    const code = await deliveryJobCode(enrollment.challenge_id);
    await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor.id, code });
    await eventually('the ownership check\'s otp job completed', async () => ((await otpJobState(enrollment.challenge_id)) === 'completed' ? true : undefined));
    await telephony.remove(JobIds.delivery(enrollment.challenge_id));
  }

  /** Lets the telephony worker run, and proves it does: a later code to `phone` reaches Twilio. */
  async function sendsAfterwards(userId: string, phone: string): Promise<string> {
    await telephony.resume();
    const control = await client.startChallenge({ user_id: userId });
    await eventually('the later code at Twilio', async () => (twilio.messages.some((m) => m.to === phone) ? true : undefined));
    const sent = await eventually('the later challenge SENT', async () => {
      const current = await client.getChallenge({ challenge_id: control.id });
      return current.delivery === 'DELIVERY_STATUS_SENT' ? current : undefined;
    });
    return sent.id;
  }

  const deliveryOf = async (challengeId: string): Promise<Challenge['delivery']> => (await client.getChallenge({ challenge_id: challengeId })).delivery;

  it('takes back a code the otp worker issued before its own job completed: NOT_REQUIRED at once, and its rerun sends nothing', async () => {
    const phone = '+14155550201';
    await smsUser('ana', phone);
    const hold = holdNextOtpRun('after', true);
    let challenge: Challenge;
    let canceledCode: string;
    try {
      challenge = await client.startChallenge({ user_id: 'ana' });
      expect(await hold.held).toBe(challenge.id);
      // The delivery job is there, the otp job still active: the window the audit hit.
      canceledCode = await deliveryJobCode(challenge.id);
      expect(await otpJobState(challenge.id)).toBe('active');

      const canceled = await client.cancelChallenge({ challenge_id: challenge.id });
      expect(canceled).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_NOT_REQUIRED' });
      expect(await telephony.getJob(JobIds.delivery(challenge.id))).toBeUndefined();
    } finally {
      hold.restore();
    }
    // The held run fails after issuing; BullMQ runs the job again, which finds the challenge ended.
    await eventually('the otp job rerun and completed', async () => ((await otpJobState(challenge.id)) === 'completed' ? true : undefined));
    expect((await otpQueue.getJob(JobIds.otp(challenge.id)))?.attemptsStarted).toBe(2);
    expect(await telephony.getJob(JobIds.delivery(challenge.id))).toBeUndefined();
    expect(await deliveryOf(challenge.id)).toBe('DELIVERY_STATUS_NOT_REQUIRED');

    const later = await sendsAfterwards('ana', phone);
    const toPhone = twilio.messages.filter((m) => m.to === phone);
    expect(toPhone).toHaveLength(1);
    expect(toPhone[0].body).not.toContain(canceledCode);
    expect(await deliveryOf(challenge.id)).toBe('DELIVERY_STATUS_NOT_REQUIRED');
    expect(await deliveryOf(later)).toBe('DELIVERY_STATUS_SENT');
  });

  it('sends nothing for a challenge canceled while the otp worker held its job before drawing the code: NOT_REQUIRED at once', async () => {
    const phone = '+14155550202';
    await smsUser('ben', phone);
    const hold = holdNextOtpRun('before');
    let challenge: Challenge;
    try {
      challenge = await client.startChallenge({ user_id: 'ben' });
      expect(await hold.held).toBe(challenge.id);
      expect(await otpJobState(challenge.id)).toBe('active');
      const canceled = await client.cancelChallenge({ challenge_id: challenge.id });
      expect(canceled).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_NOT_REQUIRED' });
    } finally {
      hold.restore();
    }
    await eventually('the held otp job completed', async () => ((await otpJobState(challenge.id)) === 'completed' ? true : undefined));
    expect(await telephony.getJob(JobIds.delivery(challenge.id))).toBeUndefined();
    expect(await connection.exists(`${gateway.config.queuePrefix}:otp-code:${challenge.id}`)).toBe(0);

    await sendsAfterwards('ben', phone);
    expect(twilio.messages.filter((m) => m.to === phone)).toHaveLength(1);
    expect(await deliveryOf(challenge.id)).toBe('DELIVERY_STATUS_NOT_REQUIRED');
  });

  it('sends nothing from a delivery job that reaches the telephony worker after the cancel (its code drawn a moment before)', async () => {
    const phone = '+14155550204';
    await smsUser('dee', phone);
    const hold = holdNextOtpRun('after');
    let challenge: Challenge;
    let late: { name: string; data: unknown };
    try {
      challenge = await client.startChallenge({ user_id: 'dee' });
      expect(await hold.held).toBe(challenge.id);
      await deliveryJobCode(challenge.id);
      const job = await telephony.getJob(JobIds.delivery(challenge.id));
      late = { name: job!.name, data: job!.data };
      expect(await client.cancelChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED' });
    } finally {
      hold.restore();
    }
    // The otp worker's add that comes after the withdrawal took its job back.
    await telephony.add(late.name, late.data, { jobId: JobIds.delivery(challenge.id) });

    await sendsAfterwards('dee', phone);
    await eventually('the late delivery job done', async () => ((await telephony.getJobState(JobIds.delivery(challenge.id))) === 'completed' ? true : undefined));
    expect(twilio.messages.filter((m) => m.to === phone)).toHaveLength(1);
    expect(await deliveryOf(challenge.id)).toBe('DELIVERY_STATUS_NOT_REQUIRED');
  });

  it('settles an ended challenge left QUEUED with nothing in flight once the grace period is over, and only then', async () => {
    await smsUser('cid', '+14155550203');
    const relay = gateway.app.get(DeliveryRelay);
    const challenge = await client.startChallenge({ user_id: 'cid' });
    await deliveryJobCode(challenge.id);
    await eventually('the otp job completed', async () => ((await otpJobState(challenge.id)) === 'completed' ? true : undefined));
    // A withdrawal that could not finish (Redis failed it; the answer went out all the same).
    const withdraw = jest.spyOn(gateway.app.get(OutOfBandDispatcher), 'withdraw').mockResolvedValueOnce([]);
    try {
      expect(await client.cancelChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_QUEUED' });
    } finally {
      withdraw.mockRestore();
    }
    // The gateway's clock: the challenge ended at its time.
    const afterGrace = (): number => gateway.clock.now() + SETTLE_GRACE_MS + 1_000;
    /** Sweep rounds at `now` (a round of the relay's own timer running just then makes one a no-op), until the delivery is settled or `rounds` ran. */
    const sweep = async (now: () => number, rounds: number): Promise<Challenge['delivery']> => {
      for (let i = 0; i < rounds; i++) {
        await relay.settleEnded(now());
        if ((await deliveryOf(challenge.id)) !== 'DELIVERY_STATUS_QUEUED') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return deliveryOf(challenge.id);
    };

    // Its delivery job still waits for a worker, which will report on it: left alone.
    expect(await sweep(afterGrace, 5)).toBe('DELIVERY_STATUS_QUEUED');
    // Gone without a word (as the withdrawal would have taken it back): nothing will report.
    expect(await telephony.remove(JobIds.delivery(challenge.id))).toBe(1);
    // Within the grace period the withdrawal, or a worker that held the job, may still be at it.
    expect(await sweep(() => gateway.clock.now(), 5)).toBe('DELIVERY_STATUS_QUEUED');
    expect(await sweep(afterGrace, 50)).toBe('DELIVERY_STATUS_NOT_REQUIRED');
    expect((await client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_CANCELED');
  });
});
