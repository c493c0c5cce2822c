import { DeviceApiPeer, TICKET_TTL_MS } from '../testing/device-api-peer';
import { Authenticator } from './authenticator';
import type { DeviceChallenge } from './challenge';
import { isPrivateJwk } from './device-key';
import { MemoryDeviceStore, type DeviceRecord } from './device-store';
import { AuthenticatorError, DeviceApiError } from './errors';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Authenticator against a device API peer', () => {
  let peer: DeviceApiPeer;

  beforeEach(async () => {
    peer = await DeviceApiPeer.start();
  });
  afterEach(() => peer.stop());

  const records = new Map<string, DeviceRecord>();

  async function enrolled(store = new MemoryDeviceStore()): Promise<Authenticator> {
    const auth = await Authenticator.enroll(peer.issueTicket().uri, { name: 'Test phone', push: { platform: 'none' }, store });
    records.set(auth.deviceId, (await store.load())!);
    return auth;
  }

  /** Resolves once the peer has answered `n` more pending-challenge polls. */
  async function pollsAfterNow(n: number): Promise<void> {
    const polls = (): number => peer.requests.filter((r) => r.path === '/device/v1/challenges?status=pending' && r.status !== 0).length;
    const target = polls() + n;
    while (polls() < target) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** The same device, with a fetch that remembers the Authorization header it sent last. */
  async function recording(auth: Authenticator): Promise<{ device: Authenticator; lastAuthorization: () => string }> {
    let captured = '';
    const device = await Authenticator.fromRecord(records.get(auth.deviceId)!, {
      fetch: async (url, init) => {
        captured = init.headers.authorization;
        return fetch(url, init);
      },
    });
    return { device, lastAuthorization: () => captured };
  }

  describe('enroll', () => {
    it('sends only the public key, gets device and factor ids, and keeps the key pair in the store', async () => {
      const store = new MemoryDeviceStore();
      const { uri } = peer.issueTicket({ issuer: 'Acme', label: 'alice@acme.test' });
      const auth = await Authenticator.enroll(uri, { name: 'Alice’s laptop', push: { platform: 'fcm', token: 'fcm-token-1' }, store });

      const device = peer.devices.get(auth.deviceId)!;
      expect(device.factorId).toBe(auth.factorId);
      expect(device.push).toEqual({ platform: 'fcm', token: 'fcm-token-1' });
      expect(device.name).toBe('Alice’s laptop');
      expect(Object.keys(device.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
      expect(JSON.stringify(peer.requests[0].body)).not.toMatch(/"d"/);

      const record = (await store.load())!;
      expect(record).toMatchObject({ deviceId: auth.deviceId, factorId: auth.factorId, baseUrl: peer.baseUrl, issuer: 'Acme', label: 'alice@acme.test', name: 'Alice’s laptop' });
      expect(record.publicKey).toEqual(device.publicJwk);
      expect(isPrivateJwk(record.privateKey) && record.privateKey.d).toBeTruthy();
    });

    it('enrolls a device without FCM as {platform: "none"} (no token)', async () => {
      const auth = await enrolled();
      expect(peer.devices.get(auth.deviceId)!.push).toEqual({ platform: 'none' });
    });

    it('reports a used ticket as 400 invalid_ticket and stores nothing', async () => {
      const { uri } = peer.issueTicket();
      await Authenticator.enroll(uri, { name: 'first', push: { platform: 'none' }, store: new MemoryDeviceStore() });
      const store = new MemoryDeviceStore();
      const error = await rejection(Authenticator.enroll(uri, { name: 'second', push: { platform: 'none' }, store }));
      expect(error).toBeInstanceOf(DeviceApiError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_ticket' });
      expect(await store.load()).toBeNull();
    });

    it('reports an expired ticket as invalid_ticket', async () => {
      const { uri } = peer.issueTicket();
      peer.advance(TICKET_TTL_MS + 1);
      expect(await rejection(Authenticator.enroll(uri, { name: 'late', push: { platform: 'none' }, store: new MemoryDeviceStore() }))).toMatchObject({ status: 400, code: 'invalid_ticket' });
    });

    it('refuses a bad URI, a missing name or an FCM registration without token before any request', async () => {
      const { uri } = peer.issueTicket();
      const store = new MemoryDeviceStore();
      await expect(Authenticator.enroll('otpauth://totp/x', { name: 'n', push: { platform: 'none' }, store })).rejects.toMatchObject({ code: 'invalid_enrollment_uri' });
      await expect(Authenticator.enroll(uri, { name: ' ', push: { platform: 'none' }, store })).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(Authenticator.enroll(uri, { name: 'n', push: { platform: 'fcm', token: '' }, store })).rejects.toMatchObject({ code: 'invalid_argument' });
      expect(peer.requests).toHaveLength(0);
    });

    it('can keep the private key as a non-extractable CryptoKey, and still signs with it', async () => {
      const store = new MemoryDeviceStore();
      const auth = await Authenticator.enroll(peer.issueTicket().uri, { name: 'browser', push: { platform: 'none' }, store, keyStorage: 'non-extractable' });
      const record = (await store.load())!;
      expect(isPrivateJwk(record.privateKey)).toBe(false);
      expect(record.privateKey).toMatchObject({ type: 'private', extractable: false });
      const reloaded = (await Authenticator.load(store))!;
      const challenge = peer.startChallenge(auth.deviceId, { bindingCode: null });
      expect(await reloaded.approve(challenge.id)).toEqual({ status: 'APPROVED' });
    });
  });

  describe('load', () => {
    it('returns null when nothing is enrolled', async () => {
      expect(await Authenticator.load(new MemoryDeviceStore())).toBeNull();
    });

    it('restores a device from its record and signs with the stored key', async () => {
      const store = new MemoryDeviceStore();
      const first = await enrolled(store);
      const challenge = peer.startChallenge(first.deviceId);
      const again = (await Authenticator.load(store))!;
      expect(again.deviceId).toBe(first.deviceId);
      expect((await again.pendingChallenges()).map((c) => c.id)).toEqual([challenge.id]);
    });

    it('refuses a damaged record', async () => {
      const store = new MemoryDeviceStore();
      await enrolled(store);
      const record = (await store.load())!;
      await store.save({ ...record, privateKey: { kty: 'EC', crv: 'P-256', x: record.publicKey.x, y: record.publicKey.y } } as unknown as DeviceRecord);
      await expect(Authenticator.load(store)).rejects.toMatchObject({ code: 'invalid_record' });
    });
  });

  describe('signed requests', () => {
    it('authorizes every call with a fresh ES256 JWT for this device, which the peer verifies with the enrolled key', async () => {
      const auth = await enrolled();
      const challenge = peer.startChallenge(auth.deviceId);
      await auth.pendingChallenges();
      await auth.challenge(challenge.id);
      await auth.approve(challenge.id, { bindingCode: '42' });
      const signed = peer.requests.filter((r) => r.jwtClaims);
      expect(signed).toHaveLength(3);
      for (const request of signed) {
        expect(request.jwtHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: auth.deviceId });
        expect(request.jwtClaims!.sub).toBe(auth.deviceId);
        expect((request.jwtClaims!.exp as number) - (request.jwtClaims!.iat as number)).toBeLessThanOrEqual(300);
      }
      expect(new Set(signed.map((r) => r.jwtClaims!.jti)).size).toBe(3);
    });

    it('is refused by the peer when the device clock is far behind (token already expired)', async () => {
      const store = new MemoryDeviceStore();
      await enrolled(store);
      const slow = (await Authenticator.load(store, { now: () => Date.now() - 10 * 60_000 }))!;
      expect(await rejection(slow.pendingChallenges())).toMatchObject({ status: 401, code: 'unauthorized', message: 'token expired' });
    });

    it('peer check: a replayed Authorization header is refused (jti), as is a token signed by another device’s key', async () => {
      const alice = await recording(await enrolled());
      const mallory = await recording(await enrolled());
      const list = (authorization: string): Promise<Response> => fetch(`${peer.baseUrl}/device/v1/challenges?status=pending`, { headers: { authorization } });

      await alice.device.pendingChallenges();
      const replay = await list(alice.lastAuthorization());
      expect(replay.status).toBe(401);
      expect(await replay.json()).toEqual({ error: { code: 'unauthorized', message: 'token already used (jti replay)' } });

      // Alice's header and claims (with a fresh jti never used) under Mallory's signature.
      await mallory.device.pendingChallenges();
      const [, , signature] = mallory.lastAuthorization().split('.');
      const [bearerHeader, claims] = alice.lastAuthorization().split('.');
      const freshClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), jti: 'never-used-before' })).toString('base64url');
      const forged = await list(`${bearerHeader}.${freshClaims}.${signature}`);
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ error: { message: 'bad signature' } });
    });
  });

  describe('challenges', () => {
    it('lists pending challenges and shows one with its login context', async () => {
      const auth = await enrolled();
      const first = peer.startChallenge(auth.deviceId, { context: { application: 'Payroll', ip: '198.51.100.4', user_agent: 'Safari on iOS', action: 'transfer', location: 'Lyon, FR' } });
      const second = peer.startChallenge(auth.deviceId, { bindingCode: null });
      peer.startChallenge(auth.deviceId).status = 'APPROVED';

      const pending = await auth.pendingChallenges();
      expect(pending.map((c) => c.id).sort()).toEqual([first.id, second.id].sort());

      const shown = await auth.challenge(first.id);
      expect(shown).toEqual<DeviceChallenge>({
        id: first.id,
        status: 'PENDING',
        createdAt: new Date(first.createdAt).toISOString(),
        expiresAt: new Date(first.expiresAt).toISOString(),
        context: { application: 'Payroll', ip: '198.51.100.4', userAgent: 'Safari on iOS', action: 'transfer', location: 'Lyon, FR' },
        numberMatching: true,
      });
      expect((await auth.challenge(second.id)).numberMatching).toBe(false);
      // No field carries the number (a bare substring check would match timestamps).
      expect(JSON.stringify(shown)).not.toMatch(/binding/i);
      expect(JSON.stringify(shown)).not.toContain(`"${first.bindingCode!}"`);
    });

    it('approves with the number the user typed → APPROVED, the signed response carrying it', async () => {
      const auth = await enrolled();
      const challenge = peer.startChallenge(auth.deviceId, { bindingCode: '37' });
      expect(await auth.approve(challenge.id, { bindingCode: ' 37 ' })).toEqual({ status: 'APPROVED' });
      const answer = peer.requests.at(-1)!;
      expect(answer.path).toBe(`/device/v1/challenges/${challenge.id}/response`);
      expect(answer.responseHeader).toEqual({ alg: 'ES256', typ: 'JWT' });
      expect(answer.responseClaims).toMatchObject({ sub: auth.deviceId, challenge_id: challenge.id, decision: 'approve', binding_code: '37' });
      expect(answer.responseClaims).not.toHaveProperty('fraud');
      expect(peer.challenges.get(challenge.id)!.status).toBe('APPROVED');
    });

    it('reports a wrong number as 403 binding_mismatch; the challenge stays pending with one attempt used', async () => {
      const auth = await enrolled();
      const challenge = peer.startChallenge(auth.deviceId, { bindingCode: '37' });
      const error = await rejection(auth.approve(challenge.id, { bindingCode: '73' }));
      expect(error).toBeInstanceOf(DeviceApiError);
      expect(error).toMatchObject({ status: 403, code: 'binding_mismatch' });
      expect(peer.challenges.get(challenge.id)).toMatchObject({ status: 'PENDING', attemptsRemaining: 2 });
      expect(await auth.approve(challenge.id, { bindingCode: '37' })).toEqual({ status: 'APPROVED' });
    });

    it('denies → DENIED; "this wasn\'t me" sends fraud: true', async () => {
      const auth = await enrolled();
      const plain = peer.startChallenge(auth.deviceId);
      const fraud = peer.startChallenge(auth.deviceId);
      expect(await auth.deny(plain.id)).toEqual({ status: 'DENIED' });
      expect(peer.requests.at(-1)!.responseClaims).not.toHaveProperty('fraud');
      expect(await auth.deny(fraud.id, { fraud: true })).toEqual({ status: 'DENIED' });
      expect(peer.requests.at(-1)!.responseClaims).toMatchObject({ decision: 'deny', fraud: true });
      expect(peer.challenges.get(fraud.id)!.fraudReported).toBe(true);
    });

    it('reports an expired challenge as 409 when approved, and shows it EXPIRED', async () => {
      const auth = await enrolled();
      const challenge = peer.startChallenge(auth.deviceId, { ttlMs: 60_000 });
      peer.advance(61_000);
      expect(await rejection(auth.approve(challenge.id, { bindingCode: '42' }))).toMatchObject({ status: 409 });
      expect((await auth.challenge(challenge.id)).status).toBe('EXPIRED');
      expect(await auth.pendingChallenges()).toEqual([]);
    });

    it('reports another device’s challenge as 404', async () => {
      const auth = await enrolled();
      const other = await enrolled();
      const foreign = peer.startChallenge(other.deviceId);
      expect(await rejection(auth.challenge(foreign.id))).toMatchObject({ status: 404, code: 'not_found' });
      expect(await rejection(auth.approve(foreign.id, { bindingCode: '42' }))).toMatchObject({ status: 404 });
      expect(peer.challenges.get(foreign.id)!.status).toBe('PENDING');
    });

    it('maps 429 with Retry-After, and a non-JSON error page, to DeviceApiError', async () => {
      const auth = await enrolled();
      peer.failNext(429, 'rate_limited', 'too many requests from this device', { 'retry-after': '60' });
      expect(await rejection(auth.pendingChallenges())).toMatchObject({ status: 429, code: 'rate_limited', message: 'too many requests from this device', retryAfterSeconds: 60 });

      const proxyError = await Authenticator.fromRecord(records.get(auth.deviceId)!, {
        fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
      });
      expect(await rejection(proxyError.pendingChallenges())).toMatchObject({ status: 502, code: 'http_502', message: 'HTTP 502 Bad Gateway' });
    });

    it('refuses an empty challenge id or binding code without a request', async () => {
      const auth = await enrolled();
      const before = peer.requests.length;
      await expect(auth.challenge('')).rejects.toBeInstanceOf(AuthenticatorError);
      await expect(auth.approve('x', { bindingCode: '  ' })).rejects.toMatchObject({ code: 'invalid_argument' });
      expect(peer.requests).toHaveLength(before);
    });
  });

  describe('push payload', () => {
    it('reads the challenge id from an FCM data message', async () => {
      const auth = await enrolled();
      expect(auth.decodePushPayload({ challenge_id: 'ch_abc' })).toEqual({ challengeId: 'ch_abc' });
      expect(() => auth.decodePushPayload({ title: 'hello' })).toThrow(expect.objectContaining({ code: 'invalid_push_payload' }));
    });
  });

  describe('poll', () => {
    it('yields each new pending challenge once, including ones that arrive later, and ends on abort', async () => {
      const auth = await enrolled();
      const first = peer.startChallenge(auth.deviceId);
      const controller = new AbortController();
      const seen: string[] = [];
      let later = '';
      for await (const challenge of auth.poll({ intervalMs: 20, signal: controller.signal })) {
        seen.push(challenge.id);
        expect(challenge.context.application).toBe('Payroll');
        if (seen.length === 1) later = peer.startChallenge(auth.deviceId).id;
        if (seen.length === 2) void pollsAfterNow(3).then(() => controller.abort()); // a few more polls: nothing is yielded twice
      }
      expect(seen).toEqual([first.id, later]);
      expect(peer.requests.filter((r) => r.path === '/device/v1/challenges?status=pending').length).toBeGreaterThan(3);
    });

    it('keeps polling through 503 and 429, and stops with the error on 401', async () => {
      const auth = await enrolled();
      const challenge = peer.startChallenge(auth.deviceId);
      peer.failNext(503, 'unavailable');
      peer.failNext(429, 'rate_limited', 'slow down', { 'retry-after': '0' });
      const iterator = auth.poll({ intervalMs: 10 });
      expect((await iterator.next()).value).toMatchObject({ id: challenge.id });
      peer.failNext(401, 'unauthorized', 'bad signature');
      expect(await rejection(iterator.next())).toMatchObject({ status: 401 });
    });

    it('keeps polling when the network fails (fetch rejects with a TypeError)', async () => {
      const auth = await enrolled();
      const challenge = peer.startChallenge(auth.deviceId);
      let failures = 2;
      const flaky = await Authenticator.fromRecord(records.get(auth.deviceId)!, {
        fetch: async (url, init) => {
          if (failures-- > 0) throw new TypeError('fetch failed');
          return fetch(url, init);
        },
      });
      expect((await flaky.poll({ intervalMs: 10 }).next()).value).toMatchObject({ id: challenge.id });
      expect(failures).toBe(-1);
    });

    it('ends at once when the signal is already aborted', async () => {
      const auth = await enrolled();
      const controller = new AbortController();
      controller.abort();
      const before = peer.requests.length;
      expect(await auth.poll({ signal: controller.signal }).next()).toEqual({ done: true, value: undefined });
      expect(peer.requests).toHaveLength(before);
    });
  });
});
