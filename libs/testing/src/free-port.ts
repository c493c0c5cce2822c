import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports below the kernel's ephemeral range: outgoing connections (database pools, Redis clients,
 * HTTP requests of tests running in parallel) take their local ports from that range, and could
 * take a port between the moment it is found free here and the moment a test server binds it.
 */
function portsBelowEphemeralRange(): { first: number; last: number } {
  try {
    const [ephemeralFirst] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (ephemeralFirst > 11_000) return { first: 10_000, last: ephemeralFirst - 1 };
  } catch {
    // not Linux: the kernel picks
  }
  return { first: 0, last: 0 };
}

const RANGE = portsBelowEphemeralRange();

function listensOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A loopback port nobody listens on right now, outside the range outgoing connections use. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; RANGE.last > 0 && attempt < 50; attempt++) {
    const port = await listensOn(RANGE.first + Math.floor(Math.random() * (RANGE.last - RANGE.first + 1)));
    if (port) return port;
  }
  const port = await listensOn(0);
  if (!port) throw new Error('no free loopback port');
  return port;
}
