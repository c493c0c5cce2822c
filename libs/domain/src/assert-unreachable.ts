import { DomainError, DomainErrorCode } from './errors';

/**
 * Ends an exhaustive `switch`: the compiler rejects the call when a case is missing, and at run
 * time (a value from outside the type system) it fails loudly instead of falling through.
 */
export function assertUnreachable(_value: never): never {
  throw new DomainError(DomainErrorCode.Internal, 'unexpected value in an exhaustive switch');
}
