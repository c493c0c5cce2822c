import { DUO_FAKE_PASSCODE, DUO_FAULTS, DuoFake } from '@mfa/fakes';
import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { DuoApiError, DuoAuthClient, DuoTransportError } from './duo-auth-client';
import { DuoAuthProvider, pushInfo } from './duo-auth.provider';

/** The real client and provider against the loopback Duo fake, which checks every signature. */
const fake = new DuoFake({ host: 'api-test1234.duosecurity.com', answerDelayMs: 200 });
let client: DuoAuthClient;
let duo: DuoAuthProvider;

const clientWith = (overrides: Partial<ConstructorParameters<typeof DuoAuthClient>[0]> = {}) =>
  new DuoAuthClient({ integrationKey: fake.integrationKey, secretKey: fake.secretKey, apiHost: fake.host, baseUrl: fake.url, ...overrides });

async function pollUntilDone(txid: string, limitMs = 5_000): Promise<{ result: string; statusMessage: string; polls: number }> {
  const deadline = Date.now() + limitMs;
  for (let polls = 1; ; polls++) {
    const state = await duo.authStatus(txid, 10_000);
    if (state.result !== 'waiting' || Date.now() > deadline) return { ...state, polls };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  await fake.start();
  client = clientWith();
  duo = new DuoAuthProvider(client);
  fake.setUser('alice', 'allow');
  fake.setUser('dave', 'deny');
  fake.setUser('tim', 'timeout');
  fake.setUser('eve', 'enroll');
  fake.setUser('pat', 'preauth_deny');
});

afterEach(() => fake.clearFaults());
afterAll(() => fake.stop());

describe('DuoAuthProvider against the Duo fake', () => {
  it('pings without credentials and checks the credentials', async () => {
    await expect(client.ping()).resolves.toEqual({ time: expect.any(Number) });
    await expect(client.check()).resolves.toEqual({ time: expect.any(Number) });
  });

  it('preauth: auth for an enrolled user, enroll with the portal URL, deny', async () => {
    await expect(duo.preauth('alice')).resolves.toEqual({ result: 'auth', statusMessage: 'Account is active' });
    const enroll = await duo.preauth('eve');
    expect(enroll).toMatchObject({ result: 'enroll', statusMessage: 'Enroll an authentication device to proceed' });
    expect(enroll.enrollPortalUrl).toMatch(/^https:\/\/api-test1234\.duosecurity\.com\/portal\?code=[0-9a-f]+&akey=DAK/);
    await expect(duo.preauth('pat')).resolves.toMatchObject({ result: 'deny' });
  });

  it('a push the user approves: async auth, then auth_status waiting → allow', async () => {
    const { txid } = await duo.startAuth({ username: 'alice', factor: 'push', ipaddr: '203.0.113.9', pushInfo: { application: 'Acme Portal', ip: '203.0.113.9', action: 'login', location: '' } });
    const first = await duo.authStatus(txid, 10_000);
    expect(first).toEqual({ result: 'waiting', statusMessage: 'Pushed a login request to your device...' });
    await expect(pollUntilDone(txid)).resolves.toMatchObject({ result: 'allow', statusMessage: 'Success. Logging you in...' });
    const tx = fake.transactions.find((t) => t.txid === txid);
    expect(tx).toMatchObject({ factor: 'push', device: 'auto', type: 'Login request', ipaddr: '203.0.113.9', pushinfo: 'application=Acme%20Portal&ip=203.0.113.9&action=login' });
  });

  it('a push the user denies → deny; phone and auto use device=auto', async () => {
    const { txid } = await duo.startAuth({ username: 'dave', factor: 'phone', pushInfo: { application: 'Acme', ip: '', action: '', location: '' } });
    await expect(pollUntilDone(txid)).resolves.toMatchObject({ result: 'deny', statusMessage: 'Login request denied.' });
    const tx = fake.transactions.find((t) => t.txid === txid);
    expect(tx).toMatchObject({ factor: 'phone', device: 'auto' });
    expect(tx?.pushinfo).toBeUndefined();
    expect(tx?.type).toBeUndefined();
  });

  it('a user who never answers stays waiting', async () => {
    const { txid } = await duo.startAuth({ username: 'tim', factor: 'auto', pushInfo: { application: '', ip: '', action: '', location: '' } });
    await expect(pollUntilDone(txid, 600)).resolves.toMatchObject({ result: 'waiting' });
  });

  it('passcode: the right one allows, a wrong one denies', async () => {
    await expect(duo.checkPasscode('alice', DUO_FAKE_PASSCODE)).resolves.toEqual({ result: 'allow', statusMessage: 'Success. Logging you in...' });
    await expect(duo.checkPasscode('alice', '654321')).resolves.toEqual({ result: 'deny', statusMessage: 'Incorrect passcode. Please try again.' });
  });

  it('a tampered signature is rejected (the client really signs), and classified as bad credentials', async () => {
    const tampering = clientWith({
      fetch: (url, init) => {
        const headers = { ...(init?.headers as Record<string, string>) };
        const [ikey, sig] = Buffer.from((headers.Authorization as string).slice(6), 'base64').toString().split(':');
        const flipped = `${(sig as string).slice(0, -1)}${(sig as string).endsWith('0') ? '1' : '0'}`;
        headers.Authorization = `Basic ${Buffer.from(`${ikey}:${flipped}`).toString('base64')}`;
        return fetch(url, { ...init, headers });
      },
    });
    const error = await tampering.preauth('alice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuoApiError);
    expect(error).toMatchObject({ httpStatus: 401, code: 40103 });
    expect(fake.requests.at(-1)).toMatchObject({ path: '/auth/v2/preauth', status: 401, code: 40103 });

    const wrongSecret = new DuoAuthProvider(clientWith({ secretKey: 'not-the-secret' }));
    const classified = await wrongSecret.preauth('alice').catch((e: unknown) => e);
    expect(classified).toBeInstanceOf(PermanentProviderError);
    expect((classified as PermanentProviderError).reason).toBe('Duo rejected the integration credentials');

    const wrongHost = await clientWith({ apiHost: 'api-other.duosecurity.com' }).check().catch((e: unknown) => e);
    expect(wrongHost).toMatchObject({ httpStatus: 401, code: 40103 });
    const wrongKey = await clientWith({ integrationKey: 'DIXXXXXXXXXXXXXXXXXX' }).check().catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ httpStatus: 401, code: 40102 });
    const staleDate = await clientWith({ now: () => new Date(Date.now() - 3_600_000) }).check().catch((e: unknown) => e);
    expect(staleDate).toMatchObject({ httpStatus: 401, code: 40105 });
  });

  it('429 with Retry-After → retryable with that delay; 5xx retryable; 40002 and 40301 permanent', async () => {
    fake.failNext(1, { ...DUO_FAULTS.tooManyRequests, retryAfterSeconds: 3 });
    const throttled = await duo.preauth('alice').catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(RetryableProviderError);
    expect((throttled as RetryableProviderError).retryAfterMs).toBe(3_000);
    await expect(duo.preauth('alice')).resolves.toMatchObject({ result: 'auth' });

    fake.failNext(1, DUO_FAULTS.serverError);
    await expect(duo.preauth('alice')).rejects.toBeInstanceOf(RetryableProviderError);
    fake.failNext(1, { ...DUO_FAULTS.invalidRequest, messageDetail: 'username' });
    await expect(duo.preauth('alice')).rejects.toMatchObject({ reason: 'Duo rejected the request as invalid (username)' });
    fake.failNext(1, DUO_FAULTS.accessForbidden);
    await expect(duo.preauth('alice')).rejects.toMatchObject({ reason: 'Duo refused access to the Auth API for this integration' });
  });

  it('an unknown txid is an invalid request', async () => {
    await expect(duo.authStatus('no-such-txid', 5_000)).rejects.toMatchObject({ reason: 'Duo rejected the request as invalid (txid)' });
  });

  it('nothing listening → retryable network error; a slow answer → retryable timeout', async () => {
    const closed = new DuoAuthClient({ integrationKey: 'DI', secretKey: 's', apiHost: fake.host, baseUrl: 'http://127.0.0.1:1' });
    const network = await closed.check().catch((e: unknown) => e);
    expect(network).toMatchObject({ kind: 'network' });
    expect(network).toBeInstanceOf(DuoTransportError);
    await expect(new DuoAuthProvider(closed).preauth('alice')).rejects.toBeInstanceOf(RetryableProviderError);

    const slowFake = new DuoFake({ host: fake.host, longPollMs: 5_000 });
    await slowFake.start();
    try {
      slowFake.setUser('tim', 'timeout');
      const slow = new DuoAuthClient({ integrationKey: slowFake.integrationKey, secretKey: slowFake.secretKey, apiHost: slowFake.host, baseUrl: slowFake.url });
      const { txid } = await slow.authAsync({ username: 'tim', factor: 'push' });
      const timedOut = await slow.authStatus(txid, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(timedOut).toMatchObject({ kind: 'timeout' });
    } finally {
      await slowFake.stop();
    }
  });

  it('long-polled auth_status: the fake holds the request until the user answers', async () => {
    const longPoll = new DuoFake({ host: fake.host, longPollMs: 10_000, answerDelayMs: 500 });
    await longPoll.start();
    try {
      longPoll.setUser('alice', 'allow');
      const provider = new DuoAuthProvider(new DuoAuthClient({ integrationKey: longPoll.integrationKey, secretKey: longPoll.secretKey, apiHost: longPoll.host, baseUrl: longPoll.url }));
      const { txid } = await provider.startAuth({ username: 'alice', factor: 'push', pushInfo: { application: 'Acme', ip: '', action: '', location: '' } });
      const started = Date.now();
      await expect(provider.authStatus(txid, 15_000)).resolves.toMatchObject({ result: 'allow' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await longPoll.stop();
    }
  });

  it('pushinfo: URL-encoded pairs, non-empty ones only, spaces as %20', () => {
    expect(pushInfo({ application: 'Acme Portal', ip: '', action: 'log in & pay', location: 'Berlin, DE' })).toBe('application=Acme%20Portal&action=log%20in%20%26%20pay&location=Berlin%2C%20DE');
  });
});
