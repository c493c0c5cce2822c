import { describe, expect, it } from '@jest/globals';
import {
  DomainError,
  DomainErrorCode,
  failedPrecondition,
  invalidArgument,
  notFound,
  resourceExhausted,
} from './errors';

describe('DomainError', () => {
  it('is an Error named DomainError carrying its code, message and details', () => {
    const error = new DomainError(DomainErrorCode.Unavailable, 'redis is unreachable', { reason: 'redis' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.name).toBe('DomainError');
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('redis is unreachable');
    expect(error.details).toEqual({ reason: 'redis' });
  });

  it('defaults details to an empty object', () => {
    expect(new DomainError(DomainErrorCode.Internal, 'boom').details).toEqual({});
  });

  it.each([
    [DomainErrorCode.InvalidArgument, 'INVALID_ARGUMENT'],
    [DomainErrorCode.NotFound, 'NOT_FOUND'],
    [DomainErrorCode.AlreadyExists, 'ALREADY_EXISTS'],
    [DomainErrorCode.FailedPrecondition, 'FAILED_PRECONDITION'],
    [DomainErrorCode.ResourceExhausted, 'RESOURCE_EXHAUSTED'],
    [DomainErrorCode.Unauthenticated, 'UNAUTHENTICATED'],
    [DomainErrorCode.Unavailable, 'UNAVAILABLE'],
    [DomainErrorCode.Unimplemented, 'UNIMPLEMENTED'],
    [DomainErrorCode.PermissionDenied, 'PERMISSION_DENIED'],
    [DomainErrorCode.Internal, 'INTERNAL'],
  ])('code %s has the wire value %s', (code, wire) => {
    expect(code).toBe(wire);
  });

  it('has exactly ten codes', () => {
    expect(Object.values(DomainErrorCode)).toHaveLength(10);
  });
});

describe('error helpers', () => {
  it('invalidArgument names the offending field', () => {
    const error = invalidArgument('phone_number', 'phone number must be in E.164 format');
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.message).toBe('phone number must be in E.164 format');
    expect(error.details).toEqual({ field: 'phone_number' });
  });

  it('notFound says what was not found', () => {
    const error = notFound('factor');
    expect(error.code).toBe(DomainErrorCode.NotFound);
    expect(error.message).toBe('factor not found');
  });

  it('failedPrecondition carries its message', () => {
    const error = failedPrecondition('factor is not active');
    expect(error.code).toBe(DomainErrorCode.FailedPrecondition);
    expect(error.message).toBe('factor is not active');
  });

  it('resourceExhausted carries the reason and the retry-after seconds', () => {
    const error = resourceExhausted('locked', 42, 'too many failed attempts');
    expect(error.code).toBe(DomainErrorCode.ResourceExhausted);
    expect(error.message).toBe('too many failed attempts');
    expect(error.details).toEqual({ reason: 'locked', retryAfterSeconds: 42 });
  });
});
