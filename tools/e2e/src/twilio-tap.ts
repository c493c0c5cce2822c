import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a telephony worker made, as the tap saw it. */
export interface TappedRequest {
  /** `POST` for a message or call, `GET` for a fetch or a lookup of earlier ones. */
  method: string;
  /** The `To` of the form, or of a lookup's query (empty for other fetches). */
  to: string;
  path: string;
  /** Twilio's status code, once the fake answered. */
  status?: number;
  /** The worker was told the answer (false while held, or when the worker went away first). */
  answered: boolean;
  /** The worker's connection closed before the answer reached it (killed mid-request). */
  aborted: boolean;
}

/**
 * A loopback proxy in front of the Twilio fake. The fake records only what it accepted; the tap
 * records every request (a 429 or 21211 too), and can hold each answer for a while after the
 * fake accepted, which is how a slow provider keeps jobs in flight: the message is "sent", the
 * worker does not know it yet.
 */
export class TwilioTap {
  readonly requests: TappedRequest[] = [];
  private holdMs = 0;
  private server: Server | undefined;

  constructor(private readonly target: string) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('TwilioTap is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Holds every answer that arrives from now on for `ms` (0: pass answers straight on). */
  hold(ms: number): void {
    this.holdMs = ms;
  }

  to(number: string): TappedRequest[] {
    return this.requests.filter((r) => r.to === number);
  }

  /** Requests the fake has seen whose answer the worker is still waiting for. */
  inFlight(): number {
    return this.requests.filter((r) => !r.answered && !r.aborted).length;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const query = new URL(req.url ?? '/', 'http://tap').searchParams;
    const to = (req.method === 'GET' ? query : new URLSearchParams(body)).get('To') ?? '';
    const entry: TappedRequest = { method: req.method ?? '', to, path: req.url ?? '', answered: false, aborted: false };
    this.requests.push(entry);
    res.on('close', () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    const holdMs = this.holdMs;
    try {
      const answer = await fetch(this.target + (req.url ?? '/'), {
        method: req.method,
        headers: pick(req.headers, ['authorization', 'content-type', 'user-agent', 'accept']),
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      });
      entry.status = answer.status;
      const text = await answer.text();
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
      if (entry.aborted) return;
      res.writeHead(answer.status, pick(Object.fromEntries(answer.headers), ['content-type', 'retry-after', 'www-authenticate']));
      res.end(text, () => (entry.answered = true));
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function pick(headers: Record<string, string | string[] | undefined>, names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}
