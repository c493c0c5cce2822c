import { status, type ServiceError } from '@grpc/grpc-js';
import { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { enrolledTotp } from './flows';
import { startGateway } from './gateway-harness';

describe('WatchChallenge while the gateway shuts down', () => {
  it('an open stream on a pending challenge ends with UNAVAILABLE, not OK, so the client watches again elsewhere', async () => {
    const gateway = await startGateway({ driver: 'sqlite' });
    // A client of the test's own: the harness closes its clients before the app, which would cancel the stream.
    const client = new MfaClient({ address: gateway.grpcAddress, apiKey: gateway.apiKey, retries: 0 });
    try {
      await enrolledTotp(gateway, gateway.client(), 'watcher');
      const challenge = await client.startChallenge({ user_id: 'watcher' });
      const seen: string[] = [];
      let firstState!: () => void;
      const watching = new Promise<void>((resolve) => (firstState = resolve));
      const ended = new Promise<{ how: 'end' } | { how: 'error'; error: ServiceError }>((resolve) => {
        const stream = client.watchChallenge({ challenge_id: challenge.id });
        stream.on('data', (c: Challenge) => {
          seen.push(c.status);
          firstState();
        });
        stream.on('end', () => resolve({ how: 'end' }));
        stream.on('error', (error: ServiceError) => resolve({ how: 'error', error }));
      });
      await watching;

      await gateway.close();

      const outcome = await ended;
      expect(seen).toEqual(['CHALLENGE_STATUS_PENDING']);
      expect(outcome.how).toBe('error');
      const { error } = outcome as { how: 'error'; error: ServiceError };
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.details).toBe('gateway is shutting down, watch again');
    } finally {
      client.close();
    }
  });
});
