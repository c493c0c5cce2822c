import { status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { UNISSUED_RECOVERY_CODE } from './flows';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';

/** Four groups of four Crockford base32 characters (no I, L, O, U). */
const RECOVERY_CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

describe.each(['sqlite', 'postgres'] as const)('recovery codes (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    client = gateway.client();
  });
  afterAll(() => gateway.close());

  const redeem = (userId: string, code: string) => client.redeemRecoveryCode({ user_id: userId, code });

  it('generates 10 distinct codes of the form XXXX-XXXX-XXXX-XXXX in Crockford base32', async () => {
    const { codes } = await client.generateRecoveryCodes({ user_id: 'rc-format' });
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(RECOVERY_CODE_FORMAT);
    expect(new Set(codes).size).toBe(10);
  });

  it('redeems each code once; the second time it is a wrong code (ok=false), not an error', async () => {
    const { codes } = await client.generateRecoveryCodes({ user_id: 'rc-once' });
    for (const code of codes) expect((await redeem('rc-once', code)).ok).toBe(true);
    for (const code of codes.slice(0, 3)) expect((await redeem('rc-once', code)).ok).toBe(false);
  });

  it('accepts a code typed in lower case or without dashes', async () => {
    const { codes } = await client.generateRecoveryCodes({ user_id: 'rc-typed' });
    expect((await redeem('rc-typed', codes[0].toLowerCase())).ok).toBe(true);
    expect((await redeem('rc-typed', codes[1].replace(/-/g, ''))).ok).toBe(true);
    expect((await redeem('rc-typed', codes[2].replace(/-/g, '').toLowerCase())).ok).toBe(true);
    // The same codes are now used, whatever way they are typed.
    expect((await redeem('rc-typed', codes[0])).ok).toBe(false);
    expect((await redeem('rc-typed', codes[1])).ok).toBe(false);
  });

  it('voids the old set when a new one is generated', async () => {
    const old = (await client.generateRecoveryCodes({ user_id: 'rc-rotate' })).codes;
    const fresh = (await client.generateRecoveryCodes({ user_id: 'rc-rotate' })).codes;
    expect(fresh.filter((code) => old.includes(code))).toEqual([]);
    expect((await redeem('rc-rotate', old[0])).ok).toBe(false);
    expect((await redeem('rc-rotate', old[9])).ok).toBe(false);
    expect((await redeem('rc-rotate', fresh[0])).ok).toBe(true);
    expect((await client.getUserStatus({ user_id: 'rc-rotate' })).recovery_codes_left).toBe(9);
  });

  it('answers INVALID_ARGUMENT for malformed codes and does not count them toward the lockout', async () => {
    await client.setPolicy({ lockout_threshold: 2, lockout_seconds: 600 });
    try {
      const { codes } = await client.generateRecoveryCodes({ user_id: 'rc-malformed' });
      for (const malformed of ['abc', 'A'.repeat(65), '', 'ABCD-EFGH-JKMN', 'ABCD-EFGH-JKMN-PQRS-TVWX', 'ABCD-EFGH-JKMN-PQR!']) {
        const error = await grpcError(redeem('rc-malformed', malformed), status.INVALID_ARGUMENT);
        if (malformed.length > 3) expect(error.details).not.toContain(malformed);
      }
      expect((await client.getUserStatus({ user_id: 'rc-malformed' })).locked_until).toBe('');
      // One wrong code is still below the threshold of 2 only if none of the malformed ones counted.
      expect((await redeem('rc-malformed', UNISSUED_RECOVERY_CODE)).ok).toBe(false);
      expect((await client.getUserStatus({ user_id: 'rc-malformed' })).locked_until).toBe('');
      expect((await redeem('rc-malformed', codes[0])).ok).toBe(true);
    } finally {
      await client.setPolicy({});
    }
  });

  it('counts recovery_codes_left down in GetUserStatus', async () => {
    expect((await client.getUserStatus({ user_id: 'rc-count' })).recovery_codes_left).toBe(0);
    const { codes } = await client.generateRecoveryCodes({ user_id: 'rc-count' });
    const left = [(await client.getUserStatus({ user_id: 'rc-count' })).recovery_codes_left];
    for (const code of codes.slice(0, 3)) {
      await redeem('rc-count', code);
      left.push((await client.getUserStatus({ user_id: 'rc-count' })).recovery_codes_left);
    }
    await redeem('rc-count', codes[0]); // used: changes nothing
    left.push((await client.getUserStatus({ user_id: 'rc-count' })).recovery_codes_left);
    expect(left).toEqual([10, 9, 8, 7, 7]);
  });

  it('stores no plaintext code, with or without dashes', async () => {
    const { codes } = await client.generateRecoveryCodes({ user_id: 'rc-stored' });
    const rows = (await gateway.database.dataSource.query('SELECT * FROM recovery_codes')) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const stored = JSON.stringify(rows).toUpperCase();
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace(/-/g, ''));
    }
    const hashes = (await gateway.database.dataSource.query('SELECT code_hash, salt FROM recovery_codes')) as { code_hash: string; salt: string }[];
    expect(new Set(hashes.map((h) => h.salt)).size).toBe(hashes.length);
  });
});
