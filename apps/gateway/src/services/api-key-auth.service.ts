import { Injectable } from '@nestjs/common';
import { hashApiKey } from '@mfa/crypto';
import { DomainError, DomainErrorCode } from '@mfa/domain';
import { Database, TenantRepository } from '@mfa/persistence';
import { decodePolicy } from './policy-codec';
import type { TenantContext } from './tenant-context';

const BEARER = /^Bearer\s+(\S{1,512})$/i;

@Injectable()
export class ApiKeyAuthService {
  constructor(private readonly database: Database) {}

  /** Resolves `authorization: Bearer <api key>` to its tenant; anything else is UNAUTHENTICATED. */
  async authenticate(authorization: string | undefined): Promise<TenantContext> {
    const match = authorization ? BEARER.exec(authorization.trim()) : null;
    if (!match) throw new DomainError(DomainErrorCode.Unauthenticated, 'missing or malformed API key (authorization: Bearer <key>)');
    const owner = await new TenantRepository(this.database.manager).findByApiKeyHash(hashApiKey(match[1]));
    if (!owner) throw new DomainError(DomainErrorCode.Unauthenticated, 'unknown or revoked API key');
    return { tenantId: owner.tenant.id, tenantName: owner.tenant.name, policy: decodePolicy(owner.tenant.policy) };
  }
}
