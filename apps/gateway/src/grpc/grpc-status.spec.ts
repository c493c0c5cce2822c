import { status } from '@grpc/grpc-js';
import { DatabaseError } from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { DomainError, DomainErrorCode } from '@mfa/domain';
import { LockWaitTimeoutError } from '@mfa/persistence';
import { isInfrastructureOutage, toGrpcError } from './grpc-status';

/** pg's error for a server reply, as pg-protocol builds it. */
function pgError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = code.startsWith('57P') || code.startsWith('08') ? 'FATAL' : 'ERROR';
  return error;
}

/** What TypeORM throws for a failed statement: the driver's error under `driverError`. */
function typeormFailure(driverError: Error): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], driverError);
}

describe('isInfrastructureOutage', () => {
  it.each([
    ['08006 connection failure', pgError('08006', 'connection failure')],
    ['08P01 protocol violation', pgError('08P01', 'protocol violation')],
    ['57P01 admin shutdown (pg_ctl restart -m fast)', pgError('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash shutdown', pgError('57P02', 'terminating connection because of crash of another server process')],
    ['57P03 cannot connect now', pgError('57P03', 'the database system is starting up')],
    ['57014 statement timeout', pgError('57014', 'canceling statement due to statement timeout')],
    ['25P03 idle in transaction timeout', pgError('25P03', 'terminating connection due to idle-in-transaction timeout')],
    ['53300 too many connections', pgError('53300', 'sorry, too many clients already')],
  ])('recognises SQLSTATE %s, bare and wrapped by TypeORM', (_, error) => {
    expect(isInfrastructureOutage(error)).toBe(true);
    expect(isInfrastructureOutage(typeormFailure(error))).toBe(true);
  });

  it.each([
    ['pg query_timeout', new Error('Query read timeout')],
    ['a client whose connection broke', new Error('Client has encountered a connection error and is not queryable')],
    ['a client already ended', new Error('Client was closed and is not queryable')],
    ['a connection dropped mid-query', new Error('Connection terminated unexpectedly')],
    ['pg-pool waiting for a connection', new Error('timeout exceeded when trying to connect')],
    ['a socket reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' })],
  ])('recognises %s, bare and wrapped by TypeORM', (_, error) => {
    expect(isInfrastructureOutage(error)).toBe(true);
    expect(isInfrastructureOutage(typeormFailure(error))).toBe(true);
  });

  it('recognises a transaction whose query runner was released under it (the connection died)', () => {
    expect(isInfrastructureOutage(new QueryRunnerAlreadyReleasedError())).toBe(true);
  });

  it('recognises a call that gave up waiting for a stuck call of the same user', () => {
    const error = new LockWaitTimeoutError('waited over 3000 ms for an earlier call on the same key');
    expect(isInfrastructureOutage(error)).toBe(true);
  });

  it.each([
    ['a unique violation', typeormFailure(pgError('23505', 'duplicate key value violates unique constraint'))],
    ['a syntax error', typeormFailure(pgError('42601', 'syntax error at or near "SELEC"'))],
    ['a serialization failure', pgError('40001', 'could not serialize access')],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Connection terminated'],
  ])('leaves %s alone', (_, error) => {
    expect(isInfrastructureOutage(error)).toBe(false);
  });
});

describe('toGrpcError', () => {
  it('answers UNAVAILABLE for an outage of PostgreSQL', () => {
    expect(toGrpcError(typeormFailure(pgError('57P01', 'terminating connection due to administrator command'))).code).toBe(status.UNAVAILABLE);
    expect(toGrpcError(typeormFailure(new Error('Query read timeout'))).code).toBe(status.UNAVAILABLE);
    expect(toGrpcError(new QueryRunnerAlreadyReleasedError())).toEqual({ code: status.UNAVAILABLE, message: 'a backing service is unavailable, retry later' });
  });

  it('answers INTERNAL for other failures, and the domain code for domain errors', () => {
    expect(toGrpcError(typeormFailure(pgError('23505', 'duplicate key'))).code).toBe(status.INTERNAL);
    expect(toGrpcError(null).code).toBe(status.INTERNAL);
    expect(toGrpcError(new DomainError(DomainErrorCode.NotFound, 'no such challenge')).code).toBe(status.NOT_FOUND);
  });
});
