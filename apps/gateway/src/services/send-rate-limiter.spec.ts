import { Writable } from 'node:stream';
import { createRequestConnection } from '@mfa/queue';
import { createLogger } from '@mfa/observability';
import { freePort } from '@mfa/testing';
import { DomainError, DomainErrorCode } from '@mfa/domain';
import { PromptRateLimiter } from './send-rate-limiter';

/** The prompt limit against a Redis that does not answer. */
describe('PromptRateLimiter with Redis unreachable', () => {
  const lines: Array<{ level: string; msg: string; factorId?: string }> = [];
  const logger = createLogger('gateway', new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }), 'info');
  let limiter: PromptRateLimiter;
  let redis: ReturnType<typeof createRequestConnection>;

  beforeAll(async () => {
    redis = createRequestConnection(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => 1_000 }, createLogger('quiet', undefined, 'silent'));
    limiter = new PromptRateLimiter(redis, '{mfa-spec}', { count: 3, windowSeconds: 600 }, logger);
  });
  afterAll(() => redis.disconnect());

  it('refuses the prompt as UNAVAILABLE (fail closed): no prompt goes out uncounted', async () => {
    const refused = await limiter.consume('ten_1', 'fac_1').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe(DomainErrorCode.Unavailable);
  });

  it('lets an approval stand when the count cannot be reset: a warning, no error', async () => {
    await expect(limiter.startOver('ten_1', 'fac_1')).resolves.toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'could not reset the prompt limit after an approval', factorId: 'fac_1' })]);
  });
});
