import { status, type ServiceError } from '@grpc/grpc-js';
import { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { createLogger } from '@mfa/observability';
import { enrolledTotp } from './flows';
import { WatchChallengeUseCase } from '../src/usecases/watch-challenge.usecase';
import { startGateway } from './gateway-harness';

describe('WatchChallenge while the gateway shuts down', () => {
  it('an open stream on a pending challenge ends with UNAVAILABLE, not OK, so the client watches again elsewhere', async () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const logger = createLogger('gateway', { write: (line: string) => void lines.push(JSON.parse(line)) }, 'info');
    const gateway = await startGateway({ driver: 'sqlite', logger });
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
      expect(error.metadata.get('reason')).toEqual(['shutting_down']);
      // Expected at every rolling deploy: an info line, not an error an operator would chase.
      expect(lines.filter((line) => line.level === 'error')).toEqual([]);
      expect(lines.map((line) => line.msg)).toContain('gRPC call ended by shutdown');
    } finally {
      client.close();
    }
  });
  it('refuses a watch opened once shutdown has begun, so no late stream holds up the close', async () => {
    const gateway = await startGateway({ driver: 'sqlite' });
    const client = new MfaClient({ address: gateway.grpcAddress, apiKey: gateway.apiKey, retries: 0 });
    try {
      await enrolledTotp(gateway, gateway.client(), 'latecomer');
      const challenge = await client.startChallenge({ user_id: 'latecomer' });
      gateway.app.get(WatchChallengeUseCase).beforeApplicationShutdown(); // what app.close() runs first
      const error = await new Promise<ServiceError>((resolve, reject) => {
        const stream = client.watchChallenge({ challenge_id: challenge.id });
        stream.on('data', () => reject(new Error('a state was sent after shutdown began')));
        stream.on('end', () => reject(new Error('the stream ended OK')));
        stream.on('error', resolve);
      });
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.metadata.get('reason')).toEqual(['shutting_down']);
    } finally {
      client.close();
      await gateway.close();
    }
  });
});
