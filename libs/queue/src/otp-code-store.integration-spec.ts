import { randomBytes } from 'node:crypto';
import { Keyring } from '@mfa/crypto';
import { OtpCodeStore } from './otp-code-store';
import { createRequestConnection } from './redis-connection';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('OtpCodeStore (real Redis)', () => {
  const prefix = `{mfa-test-${randomBytes(4).toString('hex')}}`;
  const redis = createRequestConnection(REDIS_URL);
  const codes = new OtpCodeStore(redis, Keyring.parse(Keyring.generateSpec('t1')), prefix);
  const deliveryKey = (challengeId: string): string => `${prefix}:telephony:${challengeId}.delivery`;

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('stores a code that is accepted once, and never the code itself', async () => {
    await expect(codes.putUnlessExists('ch1', '123456', 60, [deliveryKey('ch1')])).resolves.toBe(true);
    expect(await redis.get(`${prefix}:otp-code:ch1`)).not.toContain('123456');
    expect(await redis.ttl(`${prefix}:otp-code:ch1`)).toBeGreaterThan(55);
    expect(await codes.consume('ch1', '654321')).toBe('wrong');
    expect(await codes.consume('ch1', '123456')).toBe('ok');
    expect(await codes.consume('ch1', '123456')).toBe('missing');
  });

  it('checks a code without using it up, until it is discarded', async () => {
    await codes.putUnlessExists('ch5', '777777', 60, [deliveryKey('ch5')]);
    expect(await codes.check('ch5', '000000')).toBe('wrong');
    expect(await codes.check('ch5', '777777')).toBe('ok');
    expect(await codes.check('ch5', '777777')).toBe('ok');
    await codes.discard('ch5');
    expect(await codes.check('ch5', '777777')).toBe('missing');
  });

  it('keeps the stored code once the delivery job exists, so the delivered code still matches', async () => {
    await codes.putUnlessExists('ch2', '111111', 60, [deliveryKey('ch2')]);
    await redis.hset(deliveryKey('ch2'), 'name', 'telephony');
    await expect(codes.putUnlessExists('ch2', '222222', 60, [deliveryKey('ch2')])).resolves.toBe(false);
    expect(await codes.consume('ch2', '222222')).toBe('wrong');
    expect(await codes.consume('ch2', '111111')).toBe('ok');
  });

  it('keeps the stored code once the delivery was made, though its job is gone', async () => {
    const guards = [deliveryKey('ch4'), `${prefix}:delivered:ch4`];
    await codes.putUnlessExists('ch4', '555555', 60, guards);
    await redis.set(`${prefix}:delivered:ch4`, '{}', 'EX', 60);
    await expect(codes.putUnlessExists('ch4', '666666', 60, guards)).resolves.toBe(false);
    expect(await codes.consume('ch4', '555555')).toBe('ok');
  });

  it('replaces the code of a rerun whose delivery job was never added', async () => {
    await codes.putUnlessExists('ch3', '333333', 60, [deliveryKey('ch3')]);
    await codes.putUnlessExists('ch3', '444444', 60, [deliveryKey('ch3')]);
    expect(await codes.consume('ch3', '333333')).toBe('wrong');
    expect(await codes.consume('ch3', '444444')).toBe('ok');
  });
});
