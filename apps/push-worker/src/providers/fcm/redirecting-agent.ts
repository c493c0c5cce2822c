import { Agent, type AgentOptions } from 'node:https';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/**
 * An `https.Agent` that dials one fixed endpoint whatever host a request names: with it,
 * firebase-admin's requests to https://oauth2.googleapis.com and https://fcm.googleapis.com
 * (hard-coded, no emulator) reach FCM_API_BASE_URL with their paths and Host headers unchanged.
 *
 * It must be an https.Agent: the SDKs call `https.request` for their https: URLs, and Node refuses
 * an http.Agent there ("Protocol "https:" not supported"). For an http:// base URL
 * `createConnection` returns a plain TCP socket, so the request travels as plain HTTP/1.1 (TLS is
 * skipped); for https:// it opens TLS to the base URL's host, verified against that host's name.
 */
export class RedirectingAgent extends Agent {
  private readonly host: string;
  private readonly port: number;
  private readonly tls: boolean;

  constructor(baseUrl: URL, options: AgentOptions = {}) {
    super({ keepAlive: true, ...options });
    this.tls = baseUrl.protocol === 'https:';
    this.host = baseUrl.hostname.replace(/^\[|\]$/g, '');
    this.port = baseUrl.port ? Number(baseUrl.port) : this.tls ? 443 : 80;
  }

  override createConnection(): Duplex {
    const socket: Socket = this.tls ? tlsConnect({ host: this.host, port: this.port, servername: isIP(this.host) ? undefined : this.host, ALPNProtocols: ['http/1.1'] }) : netConnect(this.port, this.host);
    return socket;
  }

  /** Where it dials, for the start-up log line. */
  get target(): string {
    return `${this.tls ? 'https' : 'http'}://${this.host}:${this.port}`;
  }
}
