import { createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteApp, initializeApp, type App, type Credential } from 'firebase-admin/app';
import { getMessaging, type Message } from 'firebase-admin/messaging';
import { JWT } from 'google-auth-library';
import { createFakeServiceAccount, GOOGLE_TOKEN_URL, writeServiceAccountFile, type ServiceAccountJson } from './fcm-service-account';
import { FcmFake } from './fcm-fake';
import type { FcmFault } from './fcm-errors';

/**
 * The real SDK against the fake. firebase-admin's HTTP client takes `httpAgent`; this agent keeps
 * the https: URLs but dials the fake with a plain TCP socket, so TLS is skipped.
 */
class DialFake extends Agent {
  constructor(private readonly target: { host: string; port: number }) {
    super({ keepAlive: true });
  }
  override createConnection(): Socket {
    return connect(this.target.port, this.target.host);
  }
}

/**
 * `cert()` fetches its token through google-auth-library's JWT client, which loads node-fetch with
 * a dynamic import() that Jest cannot run without --experimental-vm-modules. The same JWT client,
 * given a fetch that sends Google's token URL to the fake, signs the very assertion cert() would.
 */
function jwtCredential(serviceAccount: ServiceAccountJson, fake: FcmFake): Credential {
  const client = new JWT({
    email: serviceAccount.client_email,
    key: serviceAccount.private_key,
    scopes: ['https://www.googleapis.com/auth/firebase.messaging'],
    transporterOptions: {
      fetchImplementation: ((url: string | URL, init?: RequestInit) =>
        fetch(String(url).replace(GOOGLE_TOKEN_URL, `${fake.url}/token`), init)) as typeof fetch,
    },
  });
  return {
    getAccessToken: async () => {
      const { access_token: accessToken, expiry_date: expiryDate } = await client.authorize();
      return { access_token: accessToken ?? '', expires_in: Math.floor(((expiryDate ?? Date.now()) - Date.now()) / 1_000) };
    },
  };
}

function signedAssertion(privateKey: string, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey, 'base64url')}`;
}

describe('FcmFake with the real firebase-admin SDK', () => {
  const fake = new FcmFake({ projectId: 'mfa-spec' });
  const apps: App[] = [];
  let agent: DialFake;
  let appCount = 0;

  const sdk = (credential: Credential = jwtCredential(fake.serviceAccount as ServiceAccountJson, fake)) => {
    const app = initializeApp({ credential, projectId: fake.projectId, httpAgent: agent }, `fcm-fake-spec-${++appCount}`);
    apps.push(app);
    return getMessaging(app);
  };
  const message = (token = 'device-token-1'): Message => ({
    token,
    data: { challenge_id: 'ch_123' },
    android: { priority: 'high', ttl: 120_000 },
    apns: { headers: { 'apns-push-type': 'background', 'apns-priority': '5' }, payload: { aps: { contentAvailable: true } } },
  });
  const codeOf = async (promise: Promise<unknown>): Promise<string> =>
    promise.then(
      () => 'resolved',
      (error: { code?: string }) => error.code ?? 'no code',
    );
  const issueAccessToken = async (): Promise<string> => {
    const sa = fake.serviceAccount as ServiceAccountJson;
    const now = Math.floor(Date.now() / 1_000);
    const assertion = signedAssertion(sa.private_key, { iss: sa.client_email, aud: GOOGLE_TOKEN_URL, scope: 'x', iat: now, exp: now + 600 });
    const response = await fetch(`${fake.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };

  beforeAll(async () => {
    await fake.start();
    agent = new DialFake({ host: '127.0.0.1', port: fake.port });
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => deleteApp(app)));
    agent.destroy();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it('exchanges a signed assertion for an access token and records a sent message', async () => {
    const exchanges = fake.tokenExchangeCount;
    const messaging = sdk();

    const name = await messaging.send(message());
    await messaging.send(message('device-token-2'));

    expect(name).toMatch(/^projects\/mfa-spec\/messages\/[0-9a-f]{16}$/);
    expect(fake.tokenExchangeCount).toBe(exchanges + 1);
    const recorded = await fake.waitFor((m) => m.name === name);
    expect(recorded).toMatchObject({ projectId: 'mfa-spec', token: 'device-token-1', data: { challenge_id: 'ch_123' }, sentBy: fake.serviceAccount?.client_email });
    expect(recorded.message.android).toEqual({ priority: 'high', ttl: '120s' });
    expect(recorded.message.apns?.payload?.aps).toEqual({ 'content-available': 1 });
    expect(fake.messages).toHaveLength(2);
  });

  it.each([
    ['a background push at priority 10', { headers: { 'apns-push-type': 'background', 'apns-priority': '10' }, payload: { aps: { contentAvailable: true } } }],
    ['a background push with an alert', { headers: { 'apns-push-type': 'background', 'apns-priority': '5' }, payload: { aps: { alert: 'hi' } } }],
    ['an alert push that shows nothing', { headers: { 'apns-push-type': 'alert', 'apns-priority': '10' }, payload: { aps: { contentAvailable: true } } }],
  ])('refuses what APNs would: %s (messaging/invalid-argument, nothing sent)', async (_what, apns) => {
    expect(await codeOf(sdk().send({ ...message(), apns }))).toBe('messaging/invalid-argument');
    expect(fake.messages).toHaveLength(0);
  });

  it('lists accepted messages as JSON on GET /_fake/messages', async () => {
    await sdk().send(message());
    const listed = (await (await fetch(`${fake.url}/_fake/messages`)).json()) as { token: string; data: unknown }[];
    expect(listed).toEqual([expect.objectContaining({ token: 'device-token-1', data: { challenge_id: 'ch_123' } })]);
  });

  it('refuses an assertion signed by another key: app/invalid-credential, nothing sent', async () => {
    const impostor = createFakeServiceAccount('mfa-spec').serviceAccount;
    impostor.client_email = fake.serviceAccount?.client_email ?? '';
    expect(await codeOf(sdk(jwtCredential(impostor, fake)).send(message()))).toBe('app/invalid-credential');
    expect(fake.sendAttempts).toHaveLength(0);
  });

  it.each([
    ['a tampered claim', (sa: ServiceAccountJson, claims: Record<string, unknown>) => {
      const [header, , signature] = signedAssertion(sa.private_key, claims).split('.');
      return `${header}.${Buffer.from(JSON.stringify({ ...claims, iss: 'attacker@evil.example' })).toString('base64url')}.${signature}`;
    }],
    ['another issuer', (sa: ServiceAccountJson, claims: Record<string, unknown>) => signedAssertion(sa.private_key, { ...claims, iss: 'other@mfa-spec.iam.gserviceaccount.com' })],
    ['another audience', (sa: ServiceAccountJson, claims: Record<string, unknown>) => signedAssertion(sa.private_key, { ...claims, aud: 'https://example.com/token' })],
    ['an expired assertion', (sa: ServiceAccountJson, claims: Record<string, unknown>) => signedAssertion(sa.private_key, { ...claims, iat: 1_000, exp: 4_600 })],
    ['not a JWT', () => 'not.a-jwt'],
  ])('answers %s with 400 invalid_grant', async (_name, build) => {
    const sa = fake.serviceAccount as ServiceAccountJson;
    const now = Math.floor(Date.now() / 1_000);
    const assertion = build(sa, { iss: sa.client_email, aud: GOOGLE_TOKEN_URL, scope: 'x', iat: now, exp: now + 3_600 });
    const response = await fetch(`${fake.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers a send without an issued access token with 401 UNAUTHENTICATED', async () => {
    const response = await fetch(`${fake.url}/v1/projects/mfa-spec/messages:send`, {
      method: 'POST',
      headers: { authorization: 'Bearer ya29.made-up', 'content-type': 'application/json' },
      body: JSON.stringify({ message: { token: 't', data: { a: 'b' } } }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: expect.objectContaining({ code: 401, status: 'UNAUTHENTICATED' }) });
    const bogus: Credential = { getAccessToken: async () => ({ access_token: 'ya29.made-up', expires_in: 3_600 }) };
    expect(await codeOf(sdk(bogus).send(message()))).toBe('messaging/third-party-auth-error');
    expect(fake.messages).toHaveLength(0);
  });

  it.each([
    ['two targets', { token: 't', topic: 'news' }, 'message'],
    ['no target', { data: { a: 'b' } }, 'message'],
    ['a non-string data value', { token: 't', data: { a: 1 } }, 'message.data[a]'],
    ['a reserved data key', { token: 't', data: { from: 'x' } }, 'message.data[from]'],
    ['a malformed TTL', { token: 't', android: { ttl: '10 minutes' } }, 'message.android.ttl'],
  ])('validates the message like FCM: %s → 400 INVALID_ARGUMENT', async (_name, wire, field) => {
    const response = await fetch(`${fake.url}/v1/projects/mfa-spec/messages:send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await issueAccessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: wire }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { status: string; details: { fieldViolations?: { field: string }[] }[] } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.details.flatMap((d) => d.fieldViolations ?? []).map((v) => v.field)).toEqual([field]);
    expect(fake.messages).toHaveLength(0);
  });

  it.each<[FcmFault, string]>([
    ['unregistered', 'messaging/registration-token-not-registered'],
    ['invalid_token', 'messaging/invalid-argument'],
    ['internal', 'messaging/internal-error'],
    ['quota', 'messaging/message-rate-exceeded'],
    ['sender_id_mismatch', 'messaging/mismatched-credential'],
    ['third_party_auth', 'messaging/third-party-auth-error'],
  ])('injects %s, which firebase-admin reports as %s, for the next send only', async (fault, code) => {
    const messaging = sdk();
    fake.failNext(1, fault);
    expect(await codeOf(messaging.send(message()))).toBe(code);
    await expect(messaging.send(message())).resolves.toMatch(/^projects\/mfa-spec\/messages\//);
    expect(fake.sendAttempts.map((a) => a.status)).toEqual([expect.any(Number), 200]);
    expect(fake.messages).toHaveLength(1);
  });

  it('answers 503 UNAVAILABLE, which firebase-admin retries by itself', async () => {
    fake.failNext(1, 'unavailable');
    await expect(sdk().send(message())).resolves.toMatch(/^projects\//);
    expect(fake.sendAttempts.map((a) => a.status)).toEqual([503, 200]);
  });

  it('answers UNREGISTERED for every send to a token marked dead', async () => {
    fake.markTokenDead('gone-token');
    const messaging = sdk();
    expect(await codeOf(messaging.send(message('gone-token')))).toBe('messaging/registration-token-not-registered');
    expect(await codeOf(messaging.send(message('gone-token')))).toBe('messaging/registration-token-not-registered');
    await messaging.send(message('live-token'));
    expect(fake.messages.map((m) => m.token)).toEqual(['live-token']);
  });

  it('writes a service-account key file firebase-admin can parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fcm-fake-'));
    try {
      const path = fake.writeServiceAccountFile(dir);
      const json = JSON.parse(readFileSync(path, 'utf8')) as ServiceAccountJson;
      expect(json).toMatchObject({ type: 'service_account', project_id: 'mfa-spec', token_uri: GOOGLE_TOKEN_URL });
      expect(json.private_key).toContain('BEGIN PRIVATE KEY');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(writeServiceAccountFile(json, dir, 'copy.json')).toBe(join(dir, 'copy.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
