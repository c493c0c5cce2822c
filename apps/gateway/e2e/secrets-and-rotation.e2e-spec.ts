
import { Keyring } from '@mfa/crypto';
import { Database, rotateEncryptionKeys } from '@mfa/persistence';
import { base32Decode, createTestDatabase } from '@mfa/testing';
import { currentCode, enrolledTotp, STEP_MS, type EnrolledTotp } from './flows';
import { startGateway, type RunningGateway } from './gateway-harness';

interface FactorRow {
  id: string;
  secret_enc: string;
}

const factorRows = async (database: Database): Promise<FactorRow[]> => (await database.dataSource.query('SELECT id, secret_enc FROM factors ORDER BY id')) as FactorRow[];

describe.each(['sqlite', 'postgres'] as const)('TOTP secrets at rest and key rotation (%s)', (driver) => {
  it('stores the TOTP secret only encrypted (v1 envelope), never in base32, hex or base64', async () => {
    const gateway = await startGateway({ driver });
    try {
      const client = gateway.client();
      const { factorId, secret } = await enrolledTotp(gateway, client, 'sealed');
      const [row] = (await factorRows(gateway.database)).filter((r) => r.id === factorId);
      expect(row.secret_enc.startsWith('v1.')).toBe(true);
      const raw = base32Decode(secret);
      const everything = JSON.stringify(await gateway.database.dataSource.query('SELECT * FROM factors'));
      for (const form of [secret, secret.toLowerCase(), raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')]) {
        expect(everything).not.toContain(form);
      }
      const audit = JSON.stringify(await gateway.database.dataSource.query('SELECT * FROM audit_events'));
      expect(audit).not.toContain(secret);
    } finally {
      await gateway.close();
    }
  });

  it('keeps factors working across a key rotation: enrolled under key a, re-encrypted to b, served with b alone', async () => {
    const specA = Keyring.generateSpec('a');
    const specB = Keyring.generateSpec('b');
    const database = await createTestDatabase(driver);
    let gateway: RunningGateway | undefined;
    try {
      gateway = await startGateway({ driver, database, env: { MFA_ENCRYPTION_KEYS: specA } });
      const factors: Record<string, EnrolledTotp> = {};
      for (const userId of ['rotated-1', 'rotated-2']) factors[userId] = await enrolledTotp(gateway, gateway.client(), userId);
      await gateway.close();
      gateway = undefined;

      const offline = await Database.open(database.url);
      try {
        expect((await factorRows(offline)).map((r) => r.secret_enc.split('.').slice(0, 2).join('.'))).toEqual(['v1.a', 'v1.a']);
        const progress = await rotateEncryptionKeys(offline, Keyring.parse(`${specB},${specA}`));
        expect(progress).toEqual({ scanned: 2, reencrypted: 2 });
        expect((await factorRows(offline)).map((r) => r.secret_enc.split('.').slice(0, 2).join('.'))).toEqual(['v1.b', 'v1.b']);
        // A second run finds nothing left to do.
        expect(await rotateEncryptionKeys(offline, Keyring.parse(`${specB},${specA}`))).toEqual({ scanned: 2, reencrypted: 0 });
      } finally {
        await offline.close();
      }

      gateway = await startGateway({ driver, database, env: { MFA_ENCRYPTION_KEYS: specB } });
      // This gateway's clock starts at the real time again: move past the steps used at enrollment.
      gateway.clock.advance(2 * STEP_MS);
      const client = gateway.client();
      for (const [userId, { factorId, secret }] of Object.entries(factors)) {
        const challenge = await client.startChallenge({ user_id: userId, factor_id: factorId });
        const verified = await client.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, secret) });
        expect({ userId, ok: verified.ok, status: verified.challenge?.status }).toEqual({ userId, ok: true, status: 'CHALLENGE_STATUS_APPROVED' });
      }
    } finally {
      await gateway?.close();
      await database.drop();
    }
  });
});
