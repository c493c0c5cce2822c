import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import { runCli } from '../../../tools/admin/src/cli';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';

/** The operator's round trip: a key made by mfa-admin works over gRPC until it is revoked. */
describe('mfa-admin against a running gateway', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ driver: 'postgres' });
  });
  afterAll(() => gateway.close());

  async function admin(...argv: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    const sink = (collect: boolean) =>
      new Writable({
        write(chunk, _encoding, done) {
          if (collect) stdout += String(chunk);
          done();
        },
      });
    const code = await runCli(argv, { env: { ...gateway.env }, stdout: sink(true), stderr: sink(false) });
    return { code, stdout };
  }

  it('tenant create → the key works over gRPC → revoke → UNAUTHENTICATED', async () => {
    const created = await admin('tenant', 'create', '--name', 'globex');
    expect(created.code).toBe(0);
    const apiKey = /^API key: (\S+)$/m.exec(created.stdout)![1];
    const client = gateway.client(apiKey);
    expect(await client.listFactors({ user_id: 'someone' })).toEqual({ factors: [] });
    await client.enrollFactor({ user_id: 'someone', type: 'FACTOR_TYPE_TOTP' });

    const extra = await admin('api-key', 'create', '--tenant', 'globex');
    const extraKey = /^API key: (\S+)$/m.exec(extra.stdout)![1];
    const keyId = /^Key id: (\S+)/m.exec(extra.stdout)![1];
    expect((await gateway.client(extraKey).listFactors({ user_id: 'someone' })).factors).toHaveLength(1);
    expect((await admin('api-key', 'revoke', '--id', keyId)).code).toBe(0);
    await grpcError(gateway.client(extraKey).listFactors({ user_id: 'someone' }), status.UNAUTHENTICATED);

    expect((await admin('tenant', 'revoke', '--tenant', 'globex')).code).toBe(0);
    await grpcError(client.listFactors({ user_id: 'someone' }), status.UNAUTHENTICATED);
    // The bootstrap tenant is untouched.
    expect((await gateway.client().getPolicy()).otp_length).toBe(6);
  });
});
