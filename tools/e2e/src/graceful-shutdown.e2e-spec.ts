import { Queue } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import { createBullConnection, QueueName } from '@mfa/queue';
import { challengeWhere, eventually, inBatches, uniqueUsNumber } from './flows';
import { startStack, stopProcess, type AppProcess, type Stack } from './stack';

const CONCURRENCY = 8;
const HOLD_MS = 3_000;

/** SIGTERM (docker stop, Kubernetes) to a telephony worker whose jobs wait on Twilio. */
describe('graceful shutdown of a busy telephony worker', () => {
  let stack: Stack;
  let client: MfaClient;
  const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let telephony: Queue;

  beforeAll(async () => {
    stack = await startStack({ workerEnv: { WORKER_CONCURRENCY: String(CONCURRENCY) } });
    client = stack.client();
    telephony = new Queue(QueueName.Telephony, { connection, prefix: stack.prefix });
  });
  afterAll(async () => {
    await telephony?.close();
    connection.disconnect();
    await stack?.stop();
  });

  it('SIGTERM: in-flight jobs complete (SMS at the fake, delivery SENT), nothing left active, exit code 0; a replacement sends the rest once', async () => {
    stack.tap.hold(HOLD_MS);
    const numbers = Array.from({ length: 24 }, () => uniqueUsNumber());
    const challengeIds = await inBatches(numbers, 24, async (number) => (await client.enrollFactor({ user_id: `term-${number}`, type: 'FACTOR_TYPE_SMS', phone_number: number })).challenge_id);
    const worker = stack.apps.find((a) => a.name.startsWith('telephony-worker')) as AppProcess;
    await eventually('the worker busy with a full batch', () => (stack.tap.inFlight() >= CONCURRENCY ? true : undefined), 15_000, 10);
    const inFlight = stack.tap.requests.filter((r) => !r.answered && !r.aborted);

    const stoppingAt = Date.now();
    const exit = await stopProcess(worker);
    const stopMs = Date.now() - stoppingAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(HOLD_MS + 10_000);
    expect(inFlight.every((r) => r.answered && !r.aborted)).toBe(true);
    expect(await telephony.getActiveCount()).toBe(0);
    for (const request of inFlight) {
      expect(stack.twilio.messages.some((m) => m.to === request.to)).toBe(true);
      await challengeWhere(client, challengeIds[numbers.indexOf(request.to)], (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    }

    stack.tap.hold(0);
    await stack.startApp('telephony-worker');
    for (const id of challengeIds) await challengeWhere(client, id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    const perNumber = numbers.map((n) => stack.twilio.messages.filter((m) => m.to === n).length);
    console.log(`[graceful-shutdown] ${inFlight.length} jobs in flight at SIGTERM; stopped in ${stopMs} ms with code ${exit.code}; SMS per challenge: ${[...new Set(perNumber)].join(',')}`);
    expect(perNumber.every((count) => count === 1)).toBe(true);
  });
});
