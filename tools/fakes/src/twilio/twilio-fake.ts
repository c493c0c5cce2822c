import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultPlan } from '../shared/fault-plan';
import { HttpListener } from '../shared/http-listener';
import { renderPage } from '../shared/html';
import { RecordLog } from '../shared/record-log';
import { faultToError, twilioErrors, type TwilioError, type TwilioFault } from './twilio-errors';
import { callResource, listPage, messageResource, newSid } from './twilio-resources';
import {
  matchesListFilter,
  parseCallParams,
  parseListFilter,
  parseMessageParams,
  requestedTo,
  type ReceivedCall,
  type ReceivedMessage,
} from './twilio-requests';

export interface TwilioFakeOptions {
  /** 0 (the default) picks a free port; read `.port` / `.url` after `start()`. */
  port?: number;
  host?: string;
  /** Defaults to a random `AC…` SID; the SDK refuses SIDs that do not start with `AC`. */
  accountSid?: string;
  authToken?: string;
}

const ACCOUNT_PATH = /^\/2010-04-01\/Accounts\/([^/]+)(\/.*)?$/;
const MAX_BODY_BYTES = 64 * 1024;

type Route =
  | { kind: 'create-message' }
  | { kind: 'create-call' }
  | { kind: 'list-messages' }
  | { kind: 'list-calls' }
  | { kind: 'fetch-message'; sid: string }
  | { kind: 'fetch-call'; sid: string };

/**
 * A loopback stand-in for the parts of Twilio's REST API (2010-04-01) that the telephony worker
 * uses: create, fetch and list Messages and Calls. It authenticates, validates and answers like Twilio,
 * so the real `twilio` SDK runs unchanged against it (see `RedirectingRequestClient`).
 */
export class TwilioFake {
  readonly accountSid: string;
  readonly authToken: string;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly messageLog = new RecordLog<ReceivedMessage>();
  private readonly callLog = new RecordLog<ReceivedCall>();
  private readonly faults = new FaultPlan<TwilioFault>();
  private readonly slowAnswers: number[] = [];
  private readonly http = new HttpListener('TwilioFake', (req, res) => this.handle(req, res));

  constructor(options: TwilioFakeOptions = {}) {
    this.accountSid = options.accountSid ?? newSid('AC');
    this.authToken = options.authToken ?? randomBytes(16).toString('hex');
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    if (!this.accountSid.startsWith('AC')) throw new Error('accountSid must start with AC, as Twilio SIDs do');
  }

  get port(): number {
    return this.http.port;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get messages(): readonly ReceivedMessage[] {
    return this.messageLog.all;
  }

  get calls(): readonly ReceivedCall[] {
    return this.callLog.all;
  }

  async start(): Promise<this> {
    await this.http.listen(this.requestedPort, this.host);
    return this;
  }

  async stop(): Promise<void> {
    await this.http.close();
  }

  waitForMessage(predicate?: (message: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage> {
    return this.messageLog.waitFor(predicate, timeoutMs);
  }

  waitForCall(predicate?: (call: ReceivedCall) => boolean, timeoutMs?: number): Promise<ReceivedCall> {
    return this.callLog.waitFor(predicate, timeoutMs);
  }

  onMessage(listener: (message: ReceivedMessage) => void): () => void {
    return this.messageLog.subscribe(listener);
  }

  onCall(listener: (call: ReceivedCall) => void): () => void {
    return this.callLog.subscribe(listener);
  }

  /** The next `count` authenticated API requests fail with `fault`. */
  failNext(count: number, fault: TwilioFault): void {
    this.faults.failNext(count, fault);
  }

  /** Every authenticated API request fails with `fault` for `ms` milliseconds (an outage). */
  failFor(ms: number, fault: TwilioFault): void {
    this.faults.failFor(ms, fault);
  }

  /**
   * The next `count` accepted creates (messages or calls) are recorded at once but answered only
   * after `ms` milliseconds: Twilio accepting while the client's request times out.
   */
  answerSlowly(count: number, ms: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
    for (let i = 0; i < count; i++) this.slowAnswers.push(ms);
  }

  /** Forgets recorded messages, calls, pending faults and slow answers, so one fake can serve many tests. */
  reset(): void {
    this.messageLog.clear();
    this.callLog.clear();
    this.faults.clear();
    this.slowAnswers.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = url.pathname;
      const account = ACCOUNT_PATH.exec(path);
      if (account) return await this.handleApi(req, res, url, account[1] ?? '', account[2] ?? '');
      if (req.method !== 'GET') return sendJson(res, 405, { message: 'the developer pages are read-only' });
      if (path === '/') return sendHtml(res, this.renderPage());
      if (path === '/_fake/messages') return sendJson(res, 200, this.messages);
      if (path === '/_fake/calls') return sendJson(res, 200, this.calls);
      return sendError(res, twilioErrors.notFound(path));
    } catch (error) {
      if (!res.headersSent) sendError(res, twilioErrors.serverError());
      else res.destroy(error instanceof Error ? error : undefined);
    }
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, url: URL, pathSid: string, rest: string): Promise<void> {
    const path = url.pathname;
    const form = await readForm(req);
    if (!this.isAuthenticated(req)) return sendError(res, twilioErrors.authenticate());
    if (pathSid !== this.accountSid) return sendError(res, twilioErrors.notFound(path));
    const route = matchRoute(rest, req.method ?? '');
    if (!route) return sendError(res, twilioErrors.notFound(path));
    const expectedMethod = route.kind.startsWith('create') ? 'POST' : 'GET';
    if (req.method !== expectedMethod) return sendError(res, twilioErrors.methodNotAllowed(req.method ?? ''));
    const fault = this.faults.take();
    if (fault !== undefined) return sendError(res, faultToError(fault, requestedTo(form)));

    switch (route.kind) {
      case 'create-message': {
        const parsed = parseMessageParams(form);
        if (!parsed.ok) return sendError(res, parsed.error);
        const message: ReceivedMessage = { sid: newSid('SM'), accountSid: this.accountSid, ...parsed.value, at: new Date() };
        this.messageLog.add(message);
        return this.answerCreated(res, messageResource({ ...message, createdAt: message.at }));
      }
      case 'create-call': {
        const parsed = parseCallParams(form);
        if (!parsed.ok) return sendError(res, parsed.error);
        const call: ReceivedCall = { sid: newSid('CA'), accountSid: this.accountSid, ...parsed.value, at: new Date() };
        this.callLog.add(call);
        return this.answerCreated(res, callResource({ ...call, createdAt: call.at }));
      }
      case 'list-messages': {
        const filter = parseListFilter(url.searchParams, 'DateSent');
        if (!filter.ok) return sendError(res, filter.error);
        const matching = this.messages.filter((m) => matchesListFilter(filter.value, m.to, m.from, m.at));
        return sendJson(res, 200, listPage(url, 'messages', matching.reverse().map((m) => messageResource({ ...m, createdAt: m.at })), filter.value));
      }
      case 'list-calls': {
        const filter = parseListFilter(url.searchParams, 'StartTime');
        if (!filter.ok) return sendError(res, filter.error);
        const matching = this.calls.filter((c) => matchesListFilter(filter.value, c.to, c.from, c.at));
        return sendJson(res, 200, listPage(url, 'calls', matching.reverse().map((c) => callResource({ ...c, createdAt: c.at })), filter.value));
      }
      case 'fetch-message': {
        const message = this.messages.find((m) => m.sid === route.sid);
        return message
          ? sendJson(res, 200, messageResource({ ...message, createdAt: message.at }))
          : sendError(res, twilioErrors.notFound(path));
      }
      case 'fetch-call': {
        const call = this.calls.find((c) => c.sid === route.sid);
        return call ? sendJson(res, 200, callResource({ ...call, createdAt: call.at })) : sendError(res, twilioErrors.notFound(path));
      }
    }
  }

  private answerCreated(res: ServerResponse, resource: Record<string, unknown>): void {
    const delayMs = this.slowAnswers.shift();
    if (delayMs === undefined) return sendJson(res, 201, resource);
    // The record exists already; only the answer is late (a client that gave up never reads it).
    setTimeout(() => {
      if (!res.destroyed) sendJson(res, 201, resource);
    }, delayMs).unref();
  }

  private isAuthenticated(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 && decoded.slice(0, colon) === this.accountSid && decoded.slice(colon + 1) === this.authToken;
  }

  private renderPage(): string {
    const time = (d: Date) => d.toISOString();
    return renderPage('Twilio fake', [
      {
        title: 'Messages',
        columns: ['at', 'sid', 'to', 'from', 'body'],
        rows: [...this.messages].reverse().map((m) => [time(m.at), m.sid, m.to, m.from ?? m.messagingServiceSid, m.body]),
      },
      {
        title: 'Calls',
        columns: ['at', 'sid', 'to', 'from', 'twiml / url'],
        rows: [...this.calls].reverse().map((c) => [time(c.at), c.sid, c.to, c.from, c.twiml ?? c.url ?? c.applicationSid]),
      },
    ]);
  }
}

function matchRoute(rest: string, method: string): Route | undefined {
  if (rest === '/Messages.json') return { kind: method === 'GET' ? 'list-messages' : 'create-message' };
  if (rest === '/Calls.json') return { kind: method === 'GET' ? 'list-calls' : 'create-call' };
  const message = /^\/Messages\/(SM[0-9a-f]{32})\.json$/.exec(rest);
  if (message?.[1]) return { kind: 'fetch-message', sid: message[1] };
  const call = /^\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(rest);
  if (call?.[1]) return { kind: 'fetch-call', sid: call[1] };
  return undefined;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return new URLSearchParams(isForm ? Buffer.concat(chunks).toString('utf8') : '');
}

function sendError(res: ServerResponse, error: TwilioError): void {
  sendJson(res, error.body.status, error.body, error.headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, html: string): void {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
  res.end(html);
}
