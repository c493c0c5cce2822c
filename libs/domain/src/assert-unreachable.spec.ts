import { describe, expect, it } from '@jest/globals';
import { assertUnreachable } from './assert-unreachable';
import { DomainError, DomainErrorCode } from './errors';

describe('assertUnreachable', () => {
  it('throws an internal DomainError when a value escapes the type system', () => {
    const escaped = 'surprise' as never;
    expect(() => assertUnreachable(escaped)).toThrow(DomainError);
    expect(() => assertUnreachable(escaped)).toThrow(
      expect.objectContaining({ code: DomainErrorCode.Internal }),
    );
  });
});
