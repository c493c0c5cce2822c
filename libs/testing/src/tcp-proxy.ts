import { connect, createServer, type Server, type Socket } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket;
  hung: boolean;
}

/**
 * A TCP proxy in front of a real server (PostgreSQL in the suites), to give the apps the outages
 * they meet in production, as a client sees them:
 * - `cut()`: every connection dropped at once and new ones refused (nobody listens), as in a
 *   restart, until `restore()` listens again on the same port;
 * - `hang()`: connections stay open and pass nothing, as with a hung server or a failover the
 *   client never hears about, until `passNew()` lets new connections through (the hung ones stay
 *   hung: their clients must notice and drop them).
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly links = new Set<Link>();
  private hangNew = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy to the host and port of `url` (PostgreSQL's default port when it names none). */
  static inFrontOf(url: string): TcpProxy {
    const parsed = new URL(url);
    return new TcpProxy(parsed.hostname, Number(parsed.port || 5432));
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(original: string): string {
    const parsed = new URL(original);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  async start(): Promise<this> {
    const server = createServer((client) => {
      const link: Link = { client, upstream: connect(this.targetPort, this.targetHost), hung: this.hangNew };
      this.links.add(link);
      const drop = (): void => {
        link.client.destroy();
        link.upstream.destroy();
        this.links.delete(link);
      };
      for (const socket of [link.client, link.upstream]) socket.on('error', drop).on('close', drop);
      link.client.on('data', (chunk: Buffer) => link.hung || link.upstream.write(chunk));
      link.upstream.on('data', (chunk: Buffer) => link.hung || link.client.write(chunk));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  get openConnections(): number {
    return this.links.size;
  }

  /** Drops every connection and stops listening. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const { client, upstream } of this.links) {
      client.destroy();
      upstream.destroy();
    }
    this.links.clear();
    await closed;
  }

  /** Listens again on the same port (retrying while the port is still being released). */
  async restore(): Promise<void> {
    if (this.server) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Open connections pass nothing more, in either direction; with `alsoNew`, neither do new ones. */
  hang({ alsoNew }: { alsoNew: boolean }): void {
    for (const link of this.links) link.hung = true;
    this.hangNew = alsoNew;
  }

  /** New connections pass traffic again. */
  passNew(): void {
    this.hangNew = false;
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
