
import type { MfaClient } from '@mfa/client';
import { currentCode, enrolledTotp, STEP_MS } from './flows';
import { startGateway, type RunningGateway } from './gateway-harness';

/**
 * A server clock can step back (an NTP correction, a request served by a replica whose clock
 * runs behind the one that accepted the last code). The factor's last accepted step then lies
 * ahead of the verification window: every code is a replay or wrong, and the answer must be the
 * ordinary ok=false, not an internal error.
 */
describe.each(['sqlite', 'postgres'] as const)('TOTP verification after the server clock stepped back (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;

  beforeAll(async () => {
    // The gateway logs the internal error this test provokes; keep the test output readable.
    process.env.LOG_LEVEL = 'fatal';
    gateway = await startGateway({ driver });
    client = gateway.client();
  });
  afterAll(() => gateway.close());

  it('answers ok=false (not INTERNAL) for a code older than the last accepted step', async () => {
    const { secret } = await enrolledTotp(gateway, client, 'clock-back');
    const first = await client.startChallenge({ user_id: 'clock-back' });
    expect((await client.verifyChallenge({ challenge_id: first.id, code: currentCode(gateway, secret) })).ok).toBe(true);

    gateway.clock.set(gateway.clock.now() - 4 * STEP_MS);
    const second = await client.startChallenge({ user_id: 'clock-back' });
    const answer = await client.verifyChallenge({ challenge_id: second.id, code: currentCode(gateway, secret) });
    expect(answer).toMatchObject({ ok: false, attempts_remaining: 4 });
  });
});
