import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultPlan } from '../shared/fault-plan';
import { HttpListener } from '../shared/http-listener';
import { renderPage } from '../shared/html';
import { RecordLog } from '../shared/record-log';
import { faultResponse, fcmErrors, type FcmErrorResponse, type FcmFault } from './fcm-errors';
import { verifyAssertion } from './fcm-jwt-assertion';
import { parseSendRequest, type FcmWireMessage } from './fcm-message-validation';
import { createFakeServiceAccount, GOOGLE_TOKEN_URL, writeServiceAccountFile, type ServiceAccountJson } from './fcm-service-account';

export interface FcmFakeOptions {
  /** 0 (the default) picks a free port; read `.port` / `.url` after `start()`. */
  port?: number;
  host?: string;
  /** The Firebase project the fake serves; defaults to `mfa-fake-project`. */
  projectId?: string;
  /**
   * The service account whose assertions the fake accepts: its `client_email` and the SPKI PEM of
   * its key. Defaults to a freshly generated one (`.serviceAccount`, with its private key).
   */
  trust?: { clientEmail: string; publicKeyPem: string };
}

/** A message FCM accepted. */
export interface ReceivedPush {
  /** `projects/<project>/messages/<id>`: what `messaging.send()` resolves with. */
  name: string;
  projectId: string;
  token?: string;
  topic?: string;
  condition?: string;
  data: Record<string, string>;
  /** The whole `message` as it arrived on the wire (firebase-admin's transformed form). */
  message: FcmWireMessage;
  /** The service account whose access token sent it. */
  sentBy: string;
  at: Date;
}

/** Every `messages:send` request that got past authentication, whatever the answer was. */
export interface SendAttempt {
  token?: string;
  status: number;
  at: Date;
}

interface IssuedToken {
  clientEmail: string;
  expiresAt: number;
}

const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
const MAX_BODY_BYTES = 64 * 1024;
const ACCESS_TOKEN_LIFETIME_SECONDS = 3_600;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * A loopback stand-in for Google's OAuth 2.0 token endpoint (`POST /token`, JWT-bearer grant of a
 * service account) and FCM HTTP v1 (`POST /v1/projects/{id}/messages:send`), in one HTTP server.
 * It checks what Google checks (RS256 assertion by the trusted key, issued access token, message
 * shape) and answers with Google's bodies, so the real firebase-admin SDK runs unchanged against
 * it once its HTTP agent dials the fake (see the push worker's README).
 */
export class FcmFake {
  readonly projectId: string;
  /** The generated service account (with its private key), unless `trust` was given. */
  readonly serviceAccount: ServiceAccountJson | undefined;
  private readonly trusted: { clientEmail: string; publicKeyPem: string };
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly pushLog = new RecordLog<ReceivedPush>();
  private readonly attemptLog = new RecordLog<SendAttempt>();
  private readonly faults = new FaultPlan<FcmFault>();
  private readonly deadTokens = new Set<string>();
  private readonly accessTokens = new Map<string, IssuedToken>();
  private tokenExchanges = 0;
  private readonly http = new HttpListener('FcmFake', (req, res) => this.handle(req, res));

  constructor(options: FcmFakeOptions = {}) {
    this.projectId = options.projectId ?? 'mfa-fake-project';
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    if (options.trust) {
      this.trusted = options.trust;
      this.serviceAccount = undefined;
    } else {
      const generated = createFakeServiceAccount(this.projectId);
      this.serviceAccount = generated.serviceAccount;
      this.trusted = { clientEmail: generated.serviceAccount.client_email, publicKeyPem: generated.publicKeyPem };
    }
  }

  get port(): number {
    return this.http.port;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Accepted messages, oldest first. */
  get messages(): readonly ReceivedPush[] {
    return this.pushLog.all;
  }

  /** Authenticated `messages:send` requests, accepted or not, oldest first. */
  get sendAttempts(): readonly SendAttempt[] {
    return this.attemptLog.all;
  }

  /** Access tokens issued so far (successful `POST /token`). */
  get tokenExchangeCount(): number {
    return this.tokenExchanges;
  }

  async start(): Promise<this> {
    await this.http.listen(this.requestedPort, this.host);
    return this;
  }

  async stop(): Promise<void> {
    await this.http.close();
  }

  /** Writes the generated service account's key file into `dir`; returns its path. */
  writeServiceAccountFile(dir: string): string {
    if (!this.serviceAccount) throw new Error('FcmFake was given `trust`: it holds no private key to write');
    return writeServiceAccountFile(this.serviceAccount, dir);
  }

  waitFor(predicate?: (push: ReceivedPush) => boolean, timeoutMs?: number): Promise<ReceivedPush> {
    return this.pushLog.waitFor(predicate, timeoutMs);
  }

  onMessage(listener: (push: ReceivedPush) => void): () => void {
    return this.pushLog.subscribe(listener);
  }

  /** The next `count` authenticated, well-formed sends fail with `fault`. */
  failNext(count: number, fault: FcmFault): void {
    this.faults.failNext(count, fault);
  }

  /** Every authenticated, well-formed send fails with `fault` for `ms` milliseconds. */
  failFor(ms: number, fault: FcmFault): void {
    this.faults.failFor(ms, fault);
  }

  /** Every later send to `token` answers UNREGISTERED, as after the app was uninstalled. */
  markTokenDead(token: string): void {
    this.deadTokens.add(token);
  }

  /** Forgets messages, attempts, faults and dead tokens (issued access tokens stay valid). */
  reset(): void {
    this.pushLog.clear();
    this.attemptLog.clear();
    this.faults.clear();
    this.deadTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      if (path === '/token') {
        if (req.method !== 'POST') return sendError(res, fcmErrors.methodNotAllowed());
        return await this.handleToken(req, res);
      }
      const send = SEND_PATH.exec(path);
      if (send) {
        if (req.method !== 'POST') return sendError(res, fcmErrors.methodNotAllowed());
        return await this.handleSend(req, res, decodeURIComponent(send[1] ?? ''));
      }
      if (req.method !== 'GET') return sendError(res, fcmErrors.methodNotAllowed());
      if (path === '/') return sendHtml(res, this.renderPage());
      if (path === '/_fake/messages') return sendJson(res, 200, this.messages);
      return sendError(res, fcmErrors.notFound(path));
    } catch (error) {
      if (!res.headersSent) sendError(res, faultResponse('internal'));
      else res.destroy(error instanceof Error ? error : undefined);
    }
  }

  /** Google's token endpoint for the JWT-bearer grant (RFC 7523), as `cert()` credentials call it. */
  private async handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('grant_type') !== JWT_BEARER) {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' + (form.get('grant_type') ?? '') });
    }
    const check = verifyAssertion(form.get('assertion') ?? '', {
      clientEmail: this.trusted.clientEmail,
      publicKeyPem: this.trusted.publicKeyPem,
      audiences: [GOOGLE_TOKEN_URL, `${this.url}/token`],
    });
    if (!check.ok) return sendJson(res, 400, { error: 'invalid_grant', error_description: check.description });
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.accessTokens.set(accessToken, { clientEmail: check.claims.iss, expiresAt: Date.now() + ACCESS_TOKEN_LIFETIME_SECONDS * 1_000 });
    this.tokenExchanges++;
    return sendJson(res, 200, { access_token: accessToken, expires_in: ACCESS_TOKEN_LIFETIME_SECONDS, token_type: 'Bearer' });
  }

  private async handleSend(req: IncomingMessage, res: ServerResponse, projectId: string): Promise<void> {
    const raw = await readBody(req);
    const header = req.headers.authorization ?? '';
    const issued = header.startsWith('Bearer ') ? this.accessTokens.get(header.slice('Bearer '.length)) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) return sendError(res, fcmErrors.unauthenticated());
    if (projectId !== this.projectId) return sendError(res, fcmErrors.permissionDenied(projectId));

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return this.answerSend(res, undefined, fcmErrors.invalidArgument('', 'Invalid JSON payload received.'));
    }
    const parsed = parseSendRequest(body);
    if (!parsed.ok) return this.answerSend(res, undefined, parsed.error);
    const { message } = parsed;
    const fault = this.faults.take();
    if (fault !== undefined) return this.answerSend(res, message.token, faultResponse(fault));
    if (message.token !== undefined && this.deadTokens.has(message.token)) return this.answerSend(res, message.token, faultResponse('unregistered'));

    if (parsed.validateOnly) {
      this.attemptLog.add({ token: message.token, status: 200, at: new Date() });
      return sendJson(res, 200, { name: `projects/${projectId}/messages/fake_message_id` });
    }
    const name = `projects/${projectId}/messages/${randomBytes(8).toString('hex')}`;
    this.attemptLog.add({ token: message.token, status: 200, at: new Date() });
    this.pushLog.add({
      name,
      projectId,
      token: message.token,
      topic: message.topic,
      condition: message.condition,
      data: message.data ?? {},
      message,
      sentBy: issued.clientEmail,
      at: new Date(),
    });
    return sendJson(res, 200, { name });
  }

  private answerSend(res: ServerResponse, token: string | undefined, error: FcmErrorResponse): void {
    this.attemptLog.add({ token, status: error.status, at: new Date() });
    sendError(res, error);
  }

  private renderPage(): string {
    return renderPage('FCM fake', [
      {
        title: `Messages to project ${this.projectId}`,
        columns: ['at', 'name', 'token', 'data', 'android', 'apns'],
        rows: [...this.messages]
          .reverse()
          .map((m) => [m.at.toISOString(), m.name, m.token ?? m.topic ?? m.condition, JSON.stringify(m.data), JSON.stringify(m.message.android ?? {}), JSON.stringify(m.message.apns ?? {})]),
      },
    ]);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendError(res: ServerResponse, error: FcmErrorResponse): void {
  sendJson(res, error.status, error.body, error.headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, html: string): void {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
  res.end(html);
}
