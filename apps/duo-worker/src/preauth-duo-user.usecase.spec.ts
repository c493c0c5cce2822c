import { Writable } from 'node:stream';
import { Keyring } from '@mfa/crypto';
import { createLogger } from '@mfa/observability';
import { parseDuoPreauthResult, PermanentProviderError, sealedDuoEnrollUrlAad, sealedDuoUsernameAad } from '@mfa/queue';
import { DuoSecrets } from './duo-secrets';
import { PreauthDuoUserUseCase, type PreauthJob } from './preauth-duo-user.usecase';
import type { DuoPreauthAnswer, DuoProvider } from './providers/duo.provider';

const USERNAME = 'carol.secret-user';
const PORTAL = 'https://api-test.duosecurity.com/portal?code=5eb1c0de&akey=DAKSECRET';

/** The use case with a scripted Duo preauth answer and a real keyring. */
function setup(answer: DuoPreauthAnswer, username = USERNAME) {
  const keyring = Keyring.parse(Keyring.generateSpec('t1'));
  const lines: string[] = [];
  const logger = createLogger('test', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }), 'debug');
  const asked: string[] = [];
  const duo: DuoProvider = {
    name: 'duo',
    preauth: async (username) => (asked.push(username), answer),
    checkPasscode: async () => ({ result: 'allow', statusMessage: '' }),
    startAuth: async () => ({ txid: 'tx' }),
    authStatus: async () => ({ result: 'allow', statusMessage: '' }),
  };
  const useCase = new PreauthDuoUserUseCase({ secrets: new DuoSecrets(keyring, logger), duo, metrics: { measureProvider: (_p, call) => call() }, logger });
  const job: PreauthJob = { v: 1, kind: 'preauth', factorId: 'fac_1', sealedUsername: keyring.encrypt(username, sealedDuoUsernameAad('fac_1')) };
  return { keyring, lines, asked, useCase, job };
}

describe('PreauthDuoUserUseCase', () => {
  it('returns the enrollment portal sealed to the factor and the job: the return value (kept in Redis) holds no URL', async () => {
    const { keyring, lines, useCase, job } = setup({ result: 'enroll', statusMessage: 'Enroll an authentication device to proceed', enrollPortalUrl: PORTAL });
    const result = await useCase.execute(job, 'fac_1.preauth.q_1');

    expect(result).toEqual({ v: 2, result: 'enroll', statusMessage: 'Enroll an authentication device to proceed', sealedEnrollPortalUrl: expect.stringMatching(/^v1\.t1\./) });
    expect(parseDuoPreauthResult(result)).toEqual(result);
    const stored = JSON.stringify(result) + lines.join('');
    for (const part of [PORTAL, '5eb1c0de', 'DAKSECRET', USERNAME]) expect(stored).not.toContain(part);
    expect(keyring.decryptText(result.sealedEnrollPortalUrl!, sealedDuoEnrollUrlAad('fac_1', 'fac_1.preauth.q_1'))).toBe(PORTAL);
    // Bound: it does not open as another job's answer, nor as another factor's.
    expect(() => keyring.decryptText(result.sealedEnrollPortalUrl!, sealedDuoEnrollUrlAad('fac_1', 'fac_1.preauth.q_2'))).toThrow();
    expect(() => keyring.decryptText(result.sealedEnrollPortalUrl!, sealedDuoEnrollUrlAad('fac_2', 'fac_1.preauth.q_1'))).toThrow();
  });

  it('takes the username out of the status message, which the gateway writes into the audit trail', async () => {
    const { useCase, job } = setup({ result: 'deny', statusMessage: `User ${USERNAME} is not allowed` });
    await expect(useCase.execute(job, 'j1')).resolves.toEqual({ v: 2, result: 'deny', statusMessage: 'User the user is not allowed' });
  });

  it('keeps a status message that scrubbing lengthened within what the gateway accepts', async () => {
    const { useCase, job } = setup({ result: 'auth', statusMessage: 'al '.repeat(85) }, 'al');
    const result = await useCase.execute(job, 'j1');
    expect(result.statusMessage).toBe(`${'the user '.repeat(28)}the`);
    expect(parseDuoPreauthResult(result)).toEqual(result);
  });

  it('answers auth without any portal', async () => {
    const { useCase, job, asked } = setup({ result: 'auth', statusMessage: 'Account is active' });
    await expect(useCase.execute(job, 'j1')).resolves.toEqual({ v: 2, result: 'auth', statusMessage: 'Account is active' });
    expect(asked).toEqual([USERNAME]);
  });

  it('a job without an id fails for good before Duo is asked: its answer could not be sealed to it', async () => {
    const { useCase, job, asked } = setup({ result: 'enroll', statusMessage: '', enrollPortalUrl: PORTAL });
    await expect(useCase.execute(job, undefined)).rejects.toBeInstanceOf(PermanentProviderError);
    expect(asked).toEqual([]);
  });
});
