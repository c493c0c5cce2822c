import type { DeviceApiError } from './device-api.error';
import { generateKeyPairSync } from 'node:crypto';
import { checkStatusFilter, parseDeviceResponse, parseEnrollDevice, parsePushUpdate } from './device-request.parsers';

describe('parsePushUpdate', () => {
  it('takes an FCM token, or none when the device polls', () => {
    expect(parsePushUpdate({ push: { platform: 'fcm', token: 'fcm-token-1' } })).toBe('fcm-token-1');
    expect(parsePushUpdate({ push: { platform: 'none' } })).toBeNull();
  });

  it.each([
    ['no object', 'push'],
    ['no push', {}],
    ['an unknown platform', { push: { platform: 'apns', token: 't' } }],
    ['fcm without a token', { push: { platform: 'fcm' } }],
    ['an empty token', { push: { platform: 'fcm', token: '' } }],
    ['a token with control characters', { push: { platform: 'fcm', token: 'a\nb' } }],
    ['an oversized token', { push: { platform: 'fcm', token: 'x'.repeat(4097) } }],
  ])('refuses %s with 400 bad_request', (_what, body) => {
    expect(() => parsePushUpdate(body)).toThrow(expect.objectContaining({ status: 400, code: 'bad_request' }) as DeviceApiError);
  });
});

describe('parseEnrollDevice', () => {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const body = { ticket: 'ticket-1', public_key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, push: { platform: 'none' }, name: ' Ann’s phone ' };

  it('takes the ticket, the public key, the push registration and the trimmed name', () => {
    expect(parseEnrollDevice(body)).toEqual({ ticket: 'ticket-1', publicKey: body.public_key, pushToken: null, name: 'Ann’s phone' });
  });

  it('counts the name in characters: 64 emoji are a name', () => {
    expect(parseEnrollDevice({ ...body, name: '📱'.repeat(64) }).name).toBe('📱'.repeat(64));
  });

  it.each([
    ['no name', { ...body, name: undefined }],
    ['a blank name', { ...body, name: '  ' }],
    ['a name that is not a string', { ...body, name: 7 }],
    ['a name over 64 characters', { ...body, name: 'n'.repeat(65) }],
    ['a name of 65 emoji', { ...body, name: '📱'.repeat(65) }],
  ])('refuses %s with 400 bad_request (API.md §2: only push.token is optional)', (_what, request) => {
    expect(() => parseEnrollDevice(request)).toThrow(expect.objectContaining({ status: 400, code: 'bad_request' }) as DeviceApiError);
  });
});

describe('parseDeviceResponse', () => {
  const claims = { challenge_id: 'ch_1', decision: 'deny' };

  it('reports fraud with a deny only', () => {
    expect(parseDeviceResponse('ch_1', { ...claims, fraud: true })).toMatchObject({ decision: 'deny', fraud: true });
    expect(parseDeviceResponse('ch_1', { ...claims, decision: 'approve', fraud: false })).toMatchObject({ decision: 'approve', fraud: false });
  });

  it('takes the binding code as a string, or as the JSON number an app may send for what the user typed', () => {
    expect(parseDeviceResponse('ch_1', { ...claims, decision: 'approve', binding_code: '42' }).bindingCode).toBe('42');
    expect(parseDeviceResponse('ch_1', { ...claims, decision: 'approve', binding_code: 42 }).bindingCode).toBe('42');
    expect(parseDeviceResponse('ch_1', claims).bindingCode).toBeUndefined();
  });

  it.each([[4.2], [-42], [true], [{}], ['4'.repeat(17)], [null]])('refuses a binding code of %p with 400 bad_request', (bindingCode) => {
    expect(() => parseDeviceResponse('ch_1', { ...claims, decision: 'approve', binding_code: bindingCode })).toThrow(expect.objectContaining({ status: 400, code: 'bad_request' }) as DeviceApiError);
  });

  it('refuses an approve that also reports fraud with 400 bad_request', () => {
    expect(() => parseDeviceResponse('ch_1', { ...claims, decision: 'approve', fraud: true })).toThrow(expect.objectContaining({ status: 400, code: 'bad_request' }) as DeviceApiError);
  });
});

describe('checkStatusFilter', () => {
  it.each([[undefined], ['pending'], ['PENDING'], ['Pending']])('takes a status filter of %p: statuses are upper-case in the JSON', (status) => {
    expect(() => checkStatusFilter(status)).not.toThrow();
  });

  it.each([['approved'], ['APPROVED'], [''], ['pending '], [['pending', 'pending']]])('refuses a status filter of %p with 400 bad_request', (status) => {
    expect(() => checkStatusFilter(status)).toThrow(expect.objectContaining({ status: 400, code: 'bad_request', message: 'status must be "pending"' }) as DeviceApiError);
  });
});
