import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultPlan } from '../shared/fault-plan';
import { HttpListener } from '../shared/http-listener';
import { RecordLog } from '../shared/record-log';
import { DUO_FAULTS, failBody, STATUS, type DuoFault } from './duo-responses';
import { canonicalRequest, expectedSignature, parseBasicAuthorization, signaturesMatch, type DuoRequestParams } from './duo-signature';

/**
 * How a scripted user behaves: `allow` / `deny` answer a push or call after `answerDelayMs`;
 * `timeout` never answers; `enroll` has no device yet (preauth `enroll`); `preauth_deny` may
 * not authenticate at all (preauth `deny`). Passcode `123456` is valid for allow/deny/timeout.
 */
export type DuoUserBehaviour = 'allow' | 'deny' | 'timeout' | 'enroll' | 'preauth_deny';

export interface DuoFakeOptions {
  /** 0 (the default) picks a free port; read `.port` / `.url` after `start()`. */
  port?: number;
  /** Defaults: a random `DI…` integration key and 40-character secret key. */
  integrationKey?: string;
  secretKey?: string;
  /** The API host clients must sign (`api-xxxxxxxx.duosecurity.com`), whatever URL they send to. */
  host?: string;
  /** How long an `allow`/`deny` user takes to answer (default 300 ms). */
  answerDelayMs?: number;
  /**
   * Duo long-polls auth_status: while nothing changes it holds the request (up to ~60 s). 0 (the
   * default) answers at once, as a cheap fake; > 0 holds up to that many ms, as Duo does.
   */
  longPollMs?: number;
  /** How far the Date header may be from the fake's clock (default 300 s). */
  maxClockSkewSeconds?: number;
}

export const DUO_FAKE_PASSCODE = '123456';

export interface DuoRequestRecord {
  at: number;
  method: string;
  path: string;
  params: DuoRequestParams;
  integrationKey?: string;
  status: number;
  /** Duo's error code when it failed. */
  code?: number;
}

export interface DuoTransaction {
  txid: string;
  username: string;
  factor: string;
  device?: string;
  type?: string;
  pushinfo?: string;
  ipaddr?: string;
  createdAt: number;
  behaviour: DuoUserBehaviour | undefined;
}

type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

const MAX_BODY_BYTES = 64 * 1024;
const AUTH_FACTORS = new Set(['auto', 'push', 'phone', 'passcode', 'sms']);
/** Duo's upper bound for a sync auth or a long poll. */
const SYNC_AUTH_LIMIT_MS = 60_000;

/**
 * A loopback stand-in for the Duo Auth API v2 (preauth, auth sync and async, auth_status, ping,
 * check). It checks signature v2 as Duo does (Date header, canonical string, HMAC-SHA512 with the
 * secret key, Basic credentials with the integration key) and answers in Duo's JSON shape.
 */
export class DuoFake {
  readonly integrationKey: string;
  readonly secretKey: string;
  readonly host: string;
  private readonly requestedPort: number;
  private readonly answerDelayMs: number;
  private readonly longPollMs: number;
  private readonly maxSkewMs: number;
  private readonly users = new Map<string, DuoUserBehaviour>();
  private readonly txs = new Map<string, DuoTransaction>();
  private readonly requestLog = new RecordLog<DuoRequestRecord>();
  private readonly faults = new FaultPlan<DuoFault>();
  private readonly holds = new Set<() => void>();
  private readonly http = new HttpListener('DuoFake', (req, res) => this.handle(req, res));

  constructor(options: DuoFakeOptions = {}) {
    this.integrationKey = options.integrationKey ?? `DI${randomBytes(9).toString('hex').toUpperCase()}`;
    this.secretKey = options.secretKey ?? randomBytes(20).toString('hex');
    this.host = options.host ?? 'api-fake0000.duosecurity.com';
    this.requestedPort = options.port ?? 0;
    this.answerDelayMs = options.answerDelayMs ?? 300;
    this.longPollMs = options.longPollMs ?? 0;
    this.maxSkewMs = (options.maxClockSkewSeconds ?? 300) * 1000;
  }

  get port(): number {
    return this.http.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get requests(): readonly DuoRequestRecord[] {
    return this.requestLog.all;
  }

  get transactions(): readonly DuoTransaction[] {
    return [...this.txs.values()];
  }

  async start(): Promise<this> {
    await this.http.listen(this.requestedPort, '127.0.0.1');
    return this;
  }

  async stop(): Promise<void> {
    for (const release of [...this.holds]) release();
    await this.http.close();
  }

  setUser(username: string, behaviour: DuoUserBehaviour): void {
    this.users.set(username, behaviour);
  }

  /** The next `count` authenticated requests fail with `fault` (see `DUO_FAULTS`). */
  failNext(count: number, fault: DuoFault): void {
    this.faults.failNext(count, fault);
  }

  /** Every authenticated request fails with `fault` for `ms` milliseconds. */
  failFor(ms: number, fault: DuoFault): void {
    this.faults.failFor(ms, fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  waitForRequest(predicate?: (record: DuoRequestRecord) => boolean, timeoutMs?: number): Promise<DuoRequestRecord> {
    return this.requestLog.waitFor(predicate, timeoutMs);
  }

  onRequest(listener: (record: DuoRequestRecord) => void): () => void {
    return this.requestLog.subscribe(listener);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    let params: DuoRequestParams = {};
    let integrationKey: string | undefined;
    let reply: Reply;
    try {
      const body = await readBody(req);
      params = method === 'POST' || method === 'PUT' ? decodeParams(body) : decodeParams(url.search.slice(1));
      const auth = parseBasicAuthorization(req.headers.authorization);
      integrationKey = auth?.integrationKey;
      reply = await this.route(method, url.pathname, params, req, auth);
    } catch {
      reply = fail({ status: 400, code: 40002, message: 'Invalid request parameters' });
    }
    this.requestLog.add({ at: Date.now(), method, path: url.pathname, params, integrationKey, status: reply.status, code: reply.body.code as number | undefined });
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }

  private async route(
    method: string,
    path: string,
    params: DuoRequestParams,
    req: IncomingMessage,
    auth: { integrationKey: string; signature: string } | undefined,
  ): Promise<Reply> {
    const routes: Record<string, string> = {
      '/auth/v2/ping': 'GET',
      '/auth/v2/check': 'GET',
      '/auth/v2/preauth': 'POST',
      '/auth/v2/auth': 'POST',
      '/auth/v2/auth_status': 'GET',
    };
    const expected = routes[path];
    if (!expected) return fail(DUO_FAULTS.notFound);
    if (expected !== method) return fail(DUO_FAULTS.methodNotAllowed);
    if (path === '/auth/v2/ping') return ok({ time: Math.floor(Date.now() / 1000) });

    const refused = this.authenticate(method, path, params, req.headers.date, auth);
    if (refused) return refused;
    const fault = this.faults.take();
    if (fault) return fail(fault);

    switch (path) {
      case '/auth/v2/check':
        return ok({ time: Math.floor(Date.now() / 1000) });
      case '/auth/v2/preauth':
        return this.preauth(params);
      case '/auth/v2/auth':
        return this.auth(params, req);
      default:
        return this.authStatus(params, req);
    }
  }

  /** Duo's checks, in Duo's order: credentials present, known integration, Date, signature. */
  private authenticate(
    method: string,
    path: string,
    params: DuoRequestParams,
    date: string | undefined,
    auth: { integrationKey: string; signature: string } | undefined,
  ): Reply | undefined {
    if (!auth) return fail(DUO_FAULTS.missingCredentials);
    if (auth.integrationKey !== this.integrationKey) return fail(DUO_FAULTS.invalidIntegrationKey);
    if (!date) return fail(DUO_FAULTS.missingDate);
    const at = Date.parse(date);
    if (Number.isNaN(at) || Math.abs(Date.now() - at) > this.maxSkewMs) return fail(DUO_FAULTS.dateTooFar);
    const expected = expectedSignature(this.secretKey, canonicalRequest(date, method, this.host, path, params));
    if (!signaturesMatch(auth.signature, expected)) return fail(DUO_FAULTS.invalidSignature);
    return undefined;
  }

  private preauth(params: DuoRequestParams): Reply {
    const username = single(params, 'username');
    if (username === undefined) return fail({ ...DUO_FAULTS.missingParameter, messageDetail: 'username' });
    const behaviour = this.users.get(username);
    if (behaviour === 'preauth_deny') return ok({ result: 'deny', status_msg: STATUS.userDenied.status_msg });
    if (behaviour === undefined || behaviour === 'enroll') {
      const code = randomBytes(8).toString('hex');
      return ok({
        result: 'enroll',
        status_msg: 'Enroll an authentication device to proceed',
        enroll_portal_url: `https://${this.host}/portal?code=${code}&akey=DAK${randomBytes(9).toString('hex').toUpperCase()}`,
      });
    }
    return ok({
      result: 'auth',
      status_msg: 'Account is active',
      devices: [{ device: 'DPFAKE0000000000000', type: 'phone', number: 'XXX-XXX-0100', name: 'Fake phone', capabilities: ['auto', 'push', 'sms', 'phone', 'mobile_otp'] }],
    });
  }

  private async auth(params: DuoRequestParams, req: IncomingMessage): Promise<Reply> {
    const username = single(params, 'username');
    const factor = single(params, 'factor');
    if (username === undefined) return fail({ ...DUO_FAULTS.missingParameter, messageDetail: 'username' });
    if (factor === undefined) return fail({ ...DUO_FAULTS.missingParameter, messageDetail: 'factor' });
    if (!AUTH_FACTORS.has(factor)) return fail({ ...DUO_FAULTS.invalidRequest, messageDetail: 'factor' });
    const behaviour = this.users.get(username);
    const enrolled = behaviour === 'allow' || behaviour === 'deny' || behaviour === 'timeout';

    if (factor === 'passcode') {
      const passcode = single(params, 'passcode');
      if (passcode === undefined) return fail({ ...DUO_FAULTS.missingParameter, messageDetail: 'passcode' });
      if (!enrolled) return ok(behaviour === 'preauth_deny' ? STATUS.userDenied : STATUS.notEnrolled);
      return ok(passcode === DUO_FAKE_PASSCODE ? STATUS.allow : STATUS.wrongPasscode);
    }

    const tx: DuoTransaction = {
      txid: randomUUID(),
      username,
      factor,
      device: single(params, 'device'),
      type: single(params, 'type'),
      pushinfo: single(params, 'pushinfo'),
      ipaddr: single(params, 'ipaddr'),
      createdAt: Date.now(),
      behaviour,
    };
    if (single(params, 'async') === '1') {
      this.txs.set(tx.txid, tx);
      return ok({ txid: tx.txid });
    }
    if (!enrolled) return ok(behaviour === 'preauth_deny' ? STATUS.userDenied : STATUS.notEnrolled);
    // Synchronous: Duo answers when the user did, or after about a minute.
    await this.hold(req, tx, SYNC_AUTH_LIMIT_MS);
    const state = this.stateOf(tx);
    return ok(state.result === 'waiting' ? STATUS.timedOut : state);
  }

  private async authStatus(params: DuoRequestParams, req: IncomingMessage): Promise<Reply> {
    const txid = single(params, 'txid');
    if (txid === undefined) return fail({ ...DUO_FAULTS.missingParameter, messageDetail: 'txid' });
    const tx = this.txs.get(txid);
    if (!tx) return fail({ ...DUO_FAULTS.invalidRequest, messageDetail: 'txid' });
    if (this.longPollMs > 0 && this.stateOf(tx).result === 'waiting') await this.hold(req, tx, Math.min(this.longPollMs, SYNC_AUTH_LIMIT_MS));
    return ok(this.stateOf(tx));
  }

  private stateOf(tx: DuoTransaction): { result: string; status: string; status_msg: string } {
    const waiting = tx.factor === 'phone' ? STATUS.calling : STATUS.pushed;
    // The user's current script, so a test can have someone answer later (`setUser(name, 'allow')`).
    switch (this.users.get(tx.username) ?? tx.behaviour) {
      case 'allow':
        return Date.now() - tx.createdAt >= this.answerDelayMs ? STATUS.allow : waiting;
      case 'deny':
        return Date.now() - tx.createdAt >= this.answerDelayMs ? STATUS.denied : waiting;
      case 'timeout':
        return waiting;
      case 'preauth_deny':
        return STATUS.userDenied;
      default:
        return STATUS.notEnrolled;
    }
  }

  /** Waits until the user "answers" or `limitMs` passes, the client hangs up, or the fake stops. */
  private hold(req: IncomingMessage, tx: DuoTransaction, limitMs: number): Promise<void> {
    const answersAt = tx.behaviour === 'allow' || tx.behaviour === 'deny' ? tx.createdAt + this.answerDelayMs : Infinity;
    const due = Math.min(Date.now() + limitMs, answersAt);
    return new Promise<void>((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        req.socket.off('close', release);
        this.holds.delete(release);
        resolve();
      };
      // A timer may fire a little before Date.now() reaches `due` (it counts from the event loop's
      // cached time): waking early would answer "waiting" for a user who answers at `due`.
      const wake = (): void => {
        const left = due - Date.now();
        if (left > 0) timer = setTimeout(wake, left);
        else release();
      };
      let timer = setTimeout(wake, due - Date.now());
      req.socket.once('close', release);
      this.holds.add(release);
    });
  }
}

function ok(response: Record<string, unknown>): Reply {
  return { status: 200, body: { stat: 'OK', response } };
}

function fail(fault: DuoFault): Reply {
  const headers = fault.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(fault.retryAfterSeconds) };
  return { status: fault.status, body: failBody(fault), headers };
}

function single(params: DuoRequestParams, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `application/x-www-form-urlencoded` (body or query) → parameters, repeated names as arrays. */
function decodeParams(encoded: string): DuoRequestParams {
  const params: DuoRequestParams = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const existing = params[key];
    if (existing === undefined) params[key] = value;
    else params[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return params;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
