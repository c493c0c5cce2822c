import { sign } from '@duosecurity/duo_api/lib/duo_sig';
import { DUO_FAKE_PASSCODE, DuoFake } from './duo-fake';
import { DUO_FAULTS } from './duo-responses';

/** The fake must accept exactly what Duo's official client signs, and refuse everything else. */
const fake = new DuoFake({ host: 'api-spec0000.duosecurity.com', answerDelayMs: 100 });

async function call(method: 'GET' | 'POST', path: string, params: Record<string, string>, options: { ikey?: string; skey?: string; host?: string; date?: string | null } = {}) {
  const date = options.date === undefined ? new Date().toUTCString() : options.date;
  const headers: Record<string, string> = {
    Authorization: sign(options.ikey ?? fake.integrationKey, options.skey ?? fake.secretKey, method, options.host ?? fake.host, path, params, date ?? ''),
  };
  if (date !== null) headers.Date = date;
  // Encoded as the official client sends it (querystring.stringify), not as we sign it.
  const qs = new URLSearchParams(params).toString().replace(/\+/g, '%20');
  const response = await fetch(`${fake.url}${path}${method === 'GET' && qs ? `?${qs}` : ''}`, {
    method,
    headers: method === 'POST' ? { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' } : headers,
    body: method === 'POST' ? qs : undefined,
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { stat: string; code?: number; response?: Record<string, unknown> } };
}

beforeAll(async () => {
  await fake.start();
  fake.setUser('alice', 'allow');
  fake.setUser("o'neil (ops)", 'deny');
});
afterAll(() => fake.stop());

describe('DuoFake', () => {
  it('accepts requests signed by the official client, special characters included', async () => {
    await expect(call('POST', '/auth/v2/preauth', { username: 'alice' })).resolves.toMatchObject({ status: 200, body: { stat: 'OK', response: { result: 'auth' } } });
    await expect(call('POST', '/auth/v2/preauth', { username: "o'neil (ops)" })).resolves.toMatchObject({ status: 200 });
    await expect(call('GET', '/auth/v2/check', {})).resolves.toMatchObject({ status: 200, body: { response: { time: expect.any(Number) } } });
  });

  it('refuses as Duo does: no credentials 40101, unknown ikey 40102, bad signature 40103, no Date 40104, stale Date 40105', async () => {
    const refused = async (promise: ReturnType<typeof call>) => ({ status: (await promise).status, code: (await promise).body.code });
    await expect(refused(call('GET', '/auth/v2/check', {}, { skey: 'wrong' }))).resolves.toEqual({ status: 401, code: 40103 });
    await expect(refused(call('GET', '/auth/v2/check', {}, { host: 'api-other.duosecurity.com' }))).resolves.toEqual({ status: 401, code: 40103 });
    await expect(refused(call('GET', '/auth/v2/check', {}, { ikey: 'DIUNKNOWN' }))).resolves.toEqual({ status: 401, code: 40102 });
    await expect(refused(call('GET', '/auth/v2/check', {}, { date: null }))).resolves.toEqual({ status: 401, code: 40104 });
    await expect(refused(call('GET', '/auth/v2/check', {}, { date: new Date(Date.now() - 3_600_000).toUTCString() }))).resolves.toEqual({ status: 401, code: 40105 });
    const bare = await fetch(`${fake.url}/auth/v2/check`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({ stat: 'FAIL', code: 40101, message: 'Missing request credentials' });
    expect((await fetch(`${fake.url}/auth/v2/ping`)).status).toBe(200);
  });

  it('runs an async push: txid, waiting, then the scripted answer', async () => {
    const started = await call('POST', '/auth/v2/auth', { username: 'alice', factor: 'push', device: 'auto', async: '1' });
    const txid = started.body.response?.txid as string;
    expect(txid).toMatch(/^[0-9a-f-]{36}$/);
    await expect(call('GET', '/auth/v2/auth_status', { txid })).resolves.toMatchObject({ body: { response: { result: 'waiting', status: 'pushed' } } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(call('GET', '/auth/v2/auth_status', { txid })).resolves.toMatchObject({ body: { response: { result: 'allow', status: 'allow' } } });
    const denied = await call('POST', '/auth/v2/auth', { username: "o'neil (ops)", factor: 'push', device: 'auto' });
    expect(denied.body.response).toMatchObject({ result: 'deny', status_msg: 'Login request denied.' });
  });

  it('checks passcodes and validates parameters', async () => {
    await expect(call('POST', '/auth/v2/auth', { username: 'alice', factor: 'passcode', passcode: DUO_FAKE_PASSCODE })).resolves.toMatchObject({ body: { response: { result: 'allow' } } });
    await expect(call('POST', '/auth/v2/auth', { username: 'alice', factor: 'passcode', passcode: '000000' })).resolves.toMatchObject({ body: { response: { result: 'deny' } } });
    await expect(call('POST', '/auth/v2/auth', { username: 'alice', factor: 'carrier-pigeon' })).resolves.toMatchObject({ status: 400, body: { code: 40002 } });
    await expect(call('POST', '/auth/v2/preauth', {})).resolves.toMatchObject({ status: 400, body: { code: 40001 } });
  });

  it('injects faults after authentication, with Retry-After, and records every request', async () => {
    fake.failNext(1, DUO_FAULTS.tooManyRequests);
    const throttled = await call('POST', '/auth/v2/preauth', { username: 'alice' });
    expect(throttled).toMatchObject({ status: 429, retryAfter: '1', body: { stat: 'FAIL', code: 42901 } });
    await expect(call('POST', '/auth/v2/preauth', { username: 'alice' })).resolves.toMatchObject({ status: 200 });
    fake.failFor(200, DUO_FAULTS.serverError);
    await expect(call('GET', '/auth/v2/check', {})).resolves.toMatchObject({ status: 500 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(call('GET', '/auth/v2/check', {})).resolves.toMatchObject({ status: 200 });
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([expect.objectContaining({ path: '/auth/v2/preauth', code: 42901, params: { username: 'alice' } })]);
  });
});
