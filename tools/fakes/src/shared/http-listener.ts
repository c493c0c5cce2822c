import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fake's HTTP server: listens where it is told (port 0: any free one), and stops with its connections. */
export class HttpListener {
  private server: Server | undefined;

  constructor(
    private readonly owner: string,
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  ) {}

  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error(`${this.owner} is not started`);
    return (address as AddressInfo).port;
  }

  async listen(port: number, host: string): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
