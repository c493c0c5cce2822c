import { freePort } from '@mfa/testing';
import { GrpcHealthReporter } from '../src/services/grpc-health-reporter.service';
import { startGateway, type RunningGateway } from './gateway-harness';
import { grpcHealthCheck } from './grpc-infra-clients';

/** A gateway whose Redis does not answer: /readyz and grpc.health.v1 both say so. */
describe('readiness with Redis unreachable', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ driver: 'sqlite', env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
  });
  afterAll(() => gateway?.close());

  it('answers /readyz 503 naming Redis, and turns grpc.health.v1 NOT_SERVING at the next probe', async () => {
    const ready = await fetch(`${gateway.httpUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not_ready', checks: { database: 'ok', redis: 'unavailable' } });

    await gateway.app.get(GrpcHealthReporter).report();
    expect(await grpcHealthCheck(gateway.grpcAddress)).toBe('NOT_SERVING');
    expect(await grpcHealthCheck(gateway.grpcAddress, 'mfa.v1.MfaService')).toBe('NOT_SERVING');
    expect((await fetch(`${gateway.httpUrl}/healthz`)).status).toBe(200);
  });
});
