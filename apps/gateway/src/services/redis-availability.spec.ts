import { status } from '@grpc/grpc-js';
import { ReplyError } from 'ioredis';
import { DomainError, DomainErrorCode } from '@mfa/domain';
import { toGrpcError } from '../grpc/grpc-status';
import { viaRedis } from './redis-availability';

const failing = (error: Error) => () => Promise.reject(error);

describe('viaRedis', () => {
  it.each([
    ['a closed connection', new Error('Connection is closed.')],
    ['a command timeout', new Error('Command timed out')],
    ['a Redis still loading its data after a restart', new ReplyError('LOADING Redis is loading the dataset in memory')],
    ['a cluster without a master for the slot', new ReplyError('CLUSTERDOWN The cluster is down')],
    ['a cluster in a failover', new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot')],
    ['a cluster that is not ready yet', new Error("Cluster isn't ready and enableOfflineQueue options is false")],
  ])('turns %s into UNAVAILABLE', async (_what, error) => {
    const thrown = await viaRedis(failing(error)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe(DomainErrorCode.Unavailable);
  });

  it('passes any other error reply through (a bug, not an outage)', async () => {
    const wrongType = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    await expect(viaRedis(failing(wrongType))).rejects.toBe(wrongType);
    expect(toGrpcError(wrongType).code).toBe(status.INTERNAL);
  });

  it('makes the gRPC status of a reply that says Redis cannot serve yet UNAVAILABLE too', () => {
    expect(toGrpcError(new ReplyError('LOADING Redis is loading the dataset in memory')).code).toBe(status.UNAVAILABLE);
    expect(toGrpcError(new Error("Cluster isn't ready and enableOfflineQueue options is false")).code).toBe(status.UNAVAILABLE);
  });
});
