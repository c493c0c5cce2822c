import { parseDuoPreauthResult, sealedDuoEnrollUrlAad, sealedDuoUsernameAad } from './duo-payloads';
import { InvalidJobPayloadError } from './payload-validation';

const sealed = { v: 2, result: 'enroll', statusMessage: 'Enroll an authentication device to proceed', sealedEnrollPortalUrl: 'v1.k.abc' };

describe('duo preauth result', () => {
  it('accepts the sealed answer, and every outcome without a portal', () => {
    expect(parseDuoPreauthResult(sealed)).toEqual(sealed);
    for (const result of ['auth', 'allow', 'deny', 'enroll']) expect(parseDuoPreauthResult({ v: 2, result, statusMessage: '' })).toEqual({ v: 2, result, statusMessage: '' });
  });

  it('accepts what a worker from before sealed answers returns (rolling deploy)', () => {
    const legacy = { result: 'enroll', statusMessage: 'Enroll', enrollPortalUrl: 'https://api-x.duosecurity.com/portal?code=1' };
    expect(parseDuoPreauthResult(legacy)).toEqual(legacy);
    expect(parseDuoPreauthResult({ result: 'auth', statusMessage: 'Account is active' })).toEqual({ result: 'auth', statusMessage: 'Account is active' });
  });

  it.each([
    ['a plaintext portal URL in a sealed answer', { ...sealed, enrollPortalUrl: 'https://api-x.duosecurity.com/portal?code=1' }],
    ['a portal with an answer other than enroll', { ...sealed, result: 'auth' }],
    ['a legacy portal with an answer other than enroll', { result: 'deny', statusMessage: '', enrollPortalUrl: 'https://x' }],
    ['an unknown version', { ...sealed, v: 3 }],
    ['an unknown outcome', { ...sealed, result: 'maybe' }],
    ['a status message past 255 characters', { ...sealed, statusMessage: 'x'.repeat(256) }],
    ['no status message', { v: 2, result: 'auth' }],
    ['not an object', null],
  ])('refuses %s', (_title, answer) => {
    expect(() => parseDuoPreauthResult(answer)).toThrow(InvalidJobPayloadError);
  });

  it('binds a sealed portal URL to its factor and job, apart from every other sealed Duo value', () => {
    expect(sealedDuoEnrollUrlAad('fac_1', 'fac_1.preauth.q_1')).not.toBe(sealedDuoEnrollUrlAad('fac_1', 'fac_1.preauth.q_2'));
    expect(sealedDuoEnrollUrlAad('fac_1', 'j')).not.toBe(sealedDuoEnrollUrlAad('fac_2', 'j'));
    expect(sealedDuoEnrollUrlAad('fac_1', 'j')).not.toBe(sealedDuoUsernameAad('fac_1'));
  });
});
