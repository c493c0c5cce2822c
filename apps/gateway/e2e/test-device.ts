import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A minimal authenticator written from API.md §2 with Node's crypto, independent of the SDK: it
 * lets the tests forge, replay and expire tokens on purpose.
 */
export class TestDevice {
  readonly privateKey: KeyObject;
  readonly publicJwk: { kty: string; crv: string; x: string; y: string };
  deviceId = '';
  factorId = '';

  constructor(
    readonly baseUrl: string,
    /** The gateway's clock: tokens are issued in its time. */
    private readonly now: () => number = Date.now,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
    this.publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  }

  static jws(claims: Record<string, unknown>, key: KeyObject, header: Record<string, unknown> = { alg: 'ES256', typ: 'JWT' }): string {
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  token(overrides: Record<string, unknown> = {}, key: KeyObject = this.privateKey): string {
    const iat = Math.floor(this.now() / 1000);
    return TestDevice.jws({ sub: this.deviceId, iat, exp: iat + 120, jti: randomBytes(16).toString('base64url'), ...overrides }, key);
  }

  async request(method: string, path: string, options: { body?: unknown; token?: string | null } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = options.token === undefined ? this.token() : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async enroll(ticket: string, push: Record<string, unknown> = { platform: 'none' }): Promise<{ status: number; body: Record<string, unknown> }> {
    const result = await this.request('POST', '/device/v1/enroll', { body: { ticket, public_key: this.publicJwk, push, name: 'Test phone' }, token: null });
    if (result.status === 201) {
      this.deviceId = String(result.body.device_id);
      this.factorId = String(result.body.factor_id);
    }
    return result;
  }

  respond(challengeId: string, decision: 'approve' | 'deny', extra: Record<string, unknown> = {}, key: KeyObject = this.privateKey): Promise<{ status: number; body: Record<string, unknown> }> {
    const iat = Math.floor(this.now() / 1000);
    const response = TestDevice.jws({ sub: this.deviceId, challenge_id: challengeId, decision, iat, exp: iat + 120, ...extra }, key);
    return this.request('POST', `/device/v1/challenges/${challengeId}/response`, { body: { response } });
  }
}
