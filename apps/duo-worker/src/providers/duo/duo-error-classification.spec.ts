import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { DuoApiError, DuoTransportError, retryAfterMs } from './duo-auth-client';
import { classifyDuoError, diagnosticsOf } from './duo-error-classification';

const api = (status: number, code?: number, retryAfter?: number, detail?: string) => new DuoApiError(status, code, 'message', detail, retryAfter);

describe('classifyDuoError', () => {
  it.each([
    ['401 / 40101 missing credentials', api(401, 40101)],
    ['401 / 40102 unknown integration key', api(401, 40102)],
    ['401 / 40103 invalid signature', api(401, 40103)],
    ['403 / 40301 access forbidden', api(403, 40301)],
  ])('%s → permanent, flagged as a credentials problem for operators', (_name, error) => {
    const classified = classifyDuoError(error, 'duo');
    expect(classified).toBeInstanceOf(PermanentProviderError);
    expect(diagnosticsOf(classified)).toMatchObject({ credentials: true, httpStatus: error.httpStatus, duoCode: error.code });
  });

  it.each([
    ['400 / 40002 invalid request', api(400, 40002), 'Duo rejected the request as invalid'],
    ['400 / 40002 naming the parameter', api(400, 40002, undefined, 'username'), 'Duo rejected the request as invalid (username)'],
    ['400 / 40002 with a detail that is not a parameter name', api(400, 40002, undefined, 'bob@example.com is bad'), 'Duo rejected the request as invalid'],
    ['404 / 40401', api(404, 40401), 'Duo refused the request (HTTP 404, code 40401)'],
  ])('%s → permanent: %s', (_name, error, reason) => {
    const classified = classifyDuoError(error, 'duo');
    expect(classified).toBeInstanceOf(PermanentProviderError);
    expect((classified as PermanentProviderError).reason).toBe(reason);
    expect(diagnosticsOf(classified)?.credentials).toBeUndefined();
  });

  it.each([
    ['429 / 42901 with Retry-After', api(429, 42901, 7_000), 7_000],
    ['429 without Retry-After', api(429, 42901), 2_000],
    ['500', api(500), undefined],
    ['503 with Retry-After', api(503, undefined, 5_000), 5_000],
    ['a timeout', new DuoTransportError('Duo did not answer within 10000 ms', 'timeout'), undefined],
    ['a connection failure', new DuoTransportError('Duo could not be reached', 'network'), undefined],
    ['a body that is not JSON', new DuoTransportError('x', 'malformed'), undefined],
    ['anything else', new TypeError('boom'), undefined],
  ])('%s → retryable', (_name, error, retryAfter) => {
    const classified = classifyDuoError(error, 'duo');
    expect(classified).toBeInstanceOf(RetryableProviderError);
    expect((classified as RetryableProviderError).retryAfterMs).toBe(retryAfter);
  });

  it('passes classified errors through unchanged', () => {
    const permanent = new PermanentProviderError('x', 'duo');
    expect(classifyDuoError(permanent, 'duo')).toBe(permanent);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2025-01-01T12:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Wed, 01 Jan 2025 12:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
