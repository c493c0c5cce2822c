import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A test peer for the device HTTP API (API.md §2): an in-memory gateway that checks requests the
 * way the contract says, with Node's own crypto as the independent verifier. It is not the
 * gateway; the gateway's end-to-end suite runs the SDK against the real thing.
 */

export const TICKET_TTL_MS = 10 * 60_000;
const MAX_TOKEN_LIFETIME_S = 300;
const CLOCK_SKEW_S = 60;

type Status = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED' | 'FAILED' | 'CANCELED';

export interface PeerDevice {
  deviceId: string;
  factorId: string;
  publicJwk: Record<string, unknown>;
  key: KeyObject;
  push: { platform: string; token?: string };
  name: string;
}

export interface PeerChallenge {
  id: string;
  deviceId: string;
  status: Status;
  createdAt: number;
  expiresAt: number;
  context: { application: string; ip: string; user_agent: string; action: string; location: string };
  bindingCode: string | null;
  attemptsRemaining: number;
  fraudReported: boolean;
}

export interface PeerRequest {
  method: string;
  path: string;
  status: number;
  /** Claims of the bearer token, when it verified. */
  jwtClaims?: Record<string, unknown>;
  jwtHeader?: Record<string, unknown>;
  /** Header and claims of the signed response, when it verified. */
  responseHeader?: Record<string, unknown>;
  responseClaims?: Record<string, unknown>;
  body?: unknown;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const unauthorized = (message: string): HttpError => new HttpError(401, 'unauthorized', message);
const B64URL = /^[A-Za-z0-9_-]+$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeCompact(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; input: string; signature: Buffer } {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw unauthorized('not a compact JWS');
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!isObject(header) || !isObject(claims)) throw new Error();
    return { header, claims, input: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    throw unauthorized('header or claims are not JSON objects');
  }
}

export class DeviceApiPeer {
  readonly devices = new Map<string, PeerDevice>();
  readonly challenges = new Map<string, PeerChallenge>();
  readonly requests: PeerRequest[] = [];
  /** Every jti accepted, per device. */
  readonly usedJtis = new Map<string, Set<string>>();
  private readonly tickets = new Map<string, { expiresAt: number; used: boolean }>();
  private readonly forced: HttpError[] = [];
  private clockOffsetMs = 0;
  private server!: Server;
  baseUrl = '';

  static async start(): Promise<DeviceApiPeer> {
    const peer = new DeviceApiPeer();
    peer.server = createServer((req, res) => void peer.handle(req, res));
    await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', resolve));
    peer.baseUrl = `http://127.0.0.1:${(peer.server.address() as AddressInfo).port}`;
    return peer;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advance(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** What EnrollFactor(PUSH) would hand out: a single-use ticket inside the enrollment URI. */
  issueTicket(options: { issuer?: string; label?: string } = {}): { ticket: string; uri: string } {
    const ticket = randomBytes(18).toString('base64url');
    this.tickets.set(ticket, { expiresAt: this.now() + TICKET_TTL_MS, used: false });
    const query = new URLSearchParams({ v: '1', ticket, base_url: this.baseUrl, issuer: options.issuer ?? 'MFA Gateway', label: options.label ?? 'alice@example.com' });
    return { ticket, uri: `mfa-push://enroll?${query}` };
  }

  /** What StartChallenge(PUSH) would create; `bindingCode: null` is a policy without number matching. */
  startChallenge(deviceId: string, options: { bindingCode?: string | null; context?: Partial<PeerChallenge['context']>; ttlMs?: number } = {}): PeerChallenge {
    if (!this.devices.has(deviceId)) throw new Error(`no device ${deviceId}`);
    const now = this.now();
    const challenge: PeerChallenge = {
      id: `ch_${randomBytes(9).toString('base64url')}`,
      deviceId,
      status: 'PENDING',
      createdAt: now,
      expiresAt: now + (options.ttlMs ?? 300_000),
      context: { application: 'Payroll', ip: '203.0.113.7', user_agent: 'Firefox 128 on Linux', action: 'sign in', location: 'Berlin, DE', ...options.context },
      bindingCode: options.bindingCode === undefined ? '42' : options.bindingCode,
      attemptsRemaining: 3,
      fraudReported: false,
    };
    this.challenges.set(challenge.id, challenge);
    return challenge;
  }

  /** The next device request (enroll included) fails with this answer instead. */
  failNext(status: number, code: string, message = code, headers: Record<string, string> = {}): void {
    this.forced.push(new HttpError(status, code, message, headers));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const entry: PeerRequest = { method: req.method ?? '', path: `${url.pathname}${url.search}`, status: 0 };
    this.requests.push(entry);
    let status = 200;
    let body: unknown;
    const headers: Record<string, string> = {};
    try {
      const raw = await new Promise<string>((resolve, reject) => {
        let data = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (data += chunk));
        req.on('end', () => resolve(data));
        req.on('error', reject);
      });
      const forced = this.forced.shift();
      if (forced) throw forced;
      if (req.method === 'POST') {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(400, 'bad_request', 'JSON bodies only');
        try {
          entry.body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, 'bad_request', 'body is not JSON');
        }
      }
      ({ status, body } = this.route(req, url, entry));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      status = error.status;
      body = { error: { code: error.code, message: error.message } };
      Object.assign(headers, error.headers);
    }
    entry.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private route(req: IncomingMessage, url: URL, entry: PeerRequest): { status: number; body: unknown } {
    const path = url.pathname;
    if (req.method === 'POST' && path === '/device/v1/enroll') return { status: 201, body: this.enroll(entry.body) };
    const device = this.authenticate(req.headers.authorization, entry);
    if (req.method === 'GET' && path === '/device/v1/challenges') {
      if (url.searchParams.get('status') !== 'pending') throw new HttpError(400, 'bad_request', 'status must be "pending"');
      const pending = [...this.challenges.values()].filter((c) => c.deviceId === device.deviceId && this.current(c).status === 'PENDING');
      return { status: 200, body: { challenges: pending.map((c) => this.view(c)) } };
    }
    const one = /^\/device\/v1\/challenges\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && one) return { status: 200, body: this.view(this.own(device, decodeURIComponent(one[1]))) };
    const answer = /^\/device\/v1\/challenges\/([^/]+)\/response$/.exec(path);
    if (req.method === 'POST' && answer) return { status: 200, body: this.respond(device, decodeURIComponent(answer[1]), entry) };
    throw new HttpError(404, 'not_found', 'no such resource');
  }

  private enroll(body: unknown): { device_id: string; factor_id: string } {
    if (!isObject(body)) throw new HttpError(400, 'bad_request', 'body must be an object');
    const ticket = typeof body.ticket === 'string' ? this.tickets.get(body.ticket) : undefined;
    if (!ticket || ticket.used || ticket.expiresAt <= this.now()) throw new HttpError(400, 'invalid_ticket', 'the enrollment ticket is unknown, used or expired');
    const jwk = body.public_key;
    // Exactly the public members: a private `d` (or anything else) means the device leaked more than it should.
    if (!isObject(jwk) || Object.keys(jwk).sort().join(',') !== 'crv,kty,x,y' || jwk.kty !== 'EC' || jwk.crv !== 'P-256') {
      throw new HttpError(400, 'bad_request', 'public_key must be {kty: "EC", crv: "P-256", x, y}');
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      throw new HttpError(400, 'bad_request', 'public_key is not a P-256 point');
    }
    const push = body.push;
    if (!isObject(push) || !((push.platform === 'fcm' && typeof push.token === 'string' && push.token !== '') || (push.platform === 'none' && push.token === undefined))) {
      throw new HttpError(400, 'bad_request', 'push must be {platform: "fcm", token} or {platform: "none"}');
    }
    if (typeof body.name !== 'string' || body.name.trim() === '') throw new HttpError(400, 'bad_request', 'name is required');
    ticket.used = true;
    const device: PeerDevice = {
      deviceId: `dev_${randomBytes(9).toString('base64url')}`,
      factorId: `fac_${randomBytes(9).toString('base64url')}`,
      publicJwk: jwk,
      key,
      push: push as PeerDevice['push'],
      name: body.name,
    };
    this.devices.set(device.deviceId, device);
    return { device_id: device.deviceId, factor_id: device.factorId };
  }

  private verifySigned(token: string, key: KeyObject): ReturnType<typeof decodeCompact> {
    const jws = decodeCompact(token);
    if (jws.header.alg !== 'ES256') throw unauthorized('alg must be ES256');
    if (jws.signature.length !== 64 || !verify('sha256', Buffer.from(jws.input), { key, dsaEncoding: 'ieee-p1363' }, jws.signature)) throw unauthorized('bad signature');
    const { iat, exp } = jws.claims;
    const now = this.now() / 1000;
    if (typeof iat !== 'number' || typeof exp !== 'number') throw unauthorized('iat and exp must be numbers');
    if (exp <= now) throw unauthorized('token expired');
    if (exp < iat || exp - iat > MAX_TOKEN_LIFETIME_S) throw unauthorized('token lifetime exceeds 5 minutes');
    if (iat > now + CLOCK_SKEW_S) throw unauthorized('token issued in the future');
    return jws;
  }

  private authenticate(authorization: string | undefined, entry: PeerRequest): PeerDevice {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match) throw unauthorized('missing bearer token');
    const unverified = decodeCompact(match[1]);
    const device = typeof unverified.claims.sub === 'string' ? this.devices.get(unverified.claims.sub) : undefined;
    if (!device) throw unauthorized('bad signature');
    const jws = this.verifySigned(match[1], device.key);
    if (jws.header.typ !== 'JWT' || jws.header.kid !== device.deviceId) throw unauthorized('header must be {alg: ES256, typ: JWT, kid: device_id}');
    const jti = jws.claims.jti;
    if (typeof jti !== 'string' || jti === '') throw unauthorized('token needs a jti');
    const used = this.usedJtis.get(device.deviceId) ?? new Set<string>();
    if (used.has(jti)) throw unauthorized('token already used (jti replay)');
    used.add(jti);
    this.usedJtis.set(device.deviceId, used);
    entry.jwtHeader = jws.header;
    entry.jwtClaims = jws.claims;
    return device;
  }

  private current(challenge: PeerChallenge): PeerChallenge {
    if (challenge.status === 'PENDING' && challenge.expiresAt <= this.now()) challenge.status = 'EXPIRED';
    return challenge;
  }

  private own(device: PeerDevice, id: string): PeerChallenge {
    const challenge = this.challenges.get(id);
    if (!challenge || challenge.deviceId !== device.deviceId) throw new HttpError(404, 'not_found', 'challenge not found');
    return this.current(challenge);
  }

  private view(c: PeerChallenge): Record<string, unknown> {
    // Never the binding code: the user reads it on the login screen (API.md §2).
    return { id: c.id, status: c.status, created_at: new Date(c.createdAt).toISOString(), expires_at: new Date(c.expiresAt).toISOString(), context: c.context, number_matching: c.bindingCode !== null };
  }

  private respond(device: PeerDevice, id: string, entry: PeerRequest): { status: Status } {
    const body = entry.body;
    if (!isObject(body) || typeof body.response !== 'string' || Object.keys(body).length !== 1) throw new HttpError(400, 'bad_request', 'body must be {response: "<JWS>"}');
    const challenge = this.own(device, id);
    const jws = this.verifySigned(body.response, device.key);
    if (jws.header.typ !== 'JWT') throw unauthorized('response header must be {alg: ES256, typ: JWT}');
    const claims = jws.claims;
    if (claims.sub !== device.deviceId) throw unauthorized('response signed for another device');
    if (claims.challenge_id !== id) throw new HttpError(400, 'bad_request', 'response is for another challenge');
    if (claims.decision !== 'approve' && claims.decision !== 'deny') throw new HttpError(400, 'bad_request', 'decision must be approve or deny');
    if (claims.binding_code !== undefined && typeof claims.binding_code !== 'string') throw new HttpError(400, 'bad_request', 'binding_code must be a string');
    if (claims.fraud !== undefined && (typeof claims.fraud !== 'boolean' || claims.decision !== 'deny')) throw new HttpError(400, 'bad_request', 'fraud is a boolean, on deny only');
    entry.responseHeader = jws.header;
    entry.responseClaims = claims;
    if (challenge.status !== 'PENDING') throw new HttpError(409, 'not_pending', `challenge is ${challenge.status}`);
    if (claims.decision === 'deny') {
      challenge.status = 'DENIED';
      challenge.fraudReported = claims.fraud === true;
      return { status: challenge.status };
    }
    if (challenge.bindingCode !== null && claims.binding_code !== challenge.bindingCode) {
      challenge.attemptsRemaining -= 1;
      if (challenge.attemptsRemaining === 0) challenge.status = 'FAILED';
      throw new HttpError(403, 'binding_mismatch', 'the number does not match the login screen');
    }
    challenge.status = 'APPROVED';
    return { status: challenge.status };
  }
}
