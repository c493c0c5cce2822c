import { Injectable } from '@nestjs/common';
import { invalidArgument } from '@mfa/domain';
import { AuditRepository, Database } from '@mfa/persistence';
import type { TenantContext } from '../services/tenant-context';

export const DEFAULT_AUDIT_PAGE_SIZE = 50;
export const MAX_AUDIT_PAGE_SIZE = 500;

export interface AuditEventView {
  id: string;
  userId: string;
  type: string;
  factorId: string;
  challengeId: string;
  at: number;
  details: Record<string, string>;
}

export interface AuditPage {
  events: AuditEventView[];
  nextPageToken: string;
}

const TOKEN_PATTERN = /^evt_[a-z0-9]{26}$/;

/** Page tokens are opaque to clients: the last event id, base64url-encoded. */
const encodeToken = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
function decodeToken(token: string): string {
  const id = token.length <= 64 ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!TOKEN_PATTERN.test(id)) throw invalidArgument('page_token', 'page_token is not one this API issued');
  return id;
}

@Injectable()
export class ListAuditEventsUseCase {
  constructor(private readonly database: Database) {}

  async execute(tenant: TenantContext, userId: string, pageSize: number, pageToken: string): Promise<AuditPage> {
    if (pageSize > MAX_AUDIT_PAGE_SIZE) throw invalidArgument('page_size', `page_size must be at most ${MAX_AUDIT_PAGE_SIZE}`);
    const limit = pageSize || DEFAULT_AUDIT_PAGE_SIZE;
    const beforeId = pageToken ? decodeToken(pageToken) : undefined;
    const rows = await new AuditRepository(this.database.manager).page(tenant.tenantId, userId || undefined, beforeId, limit + 1);
    const page = rows.slice(0, limit);
    return {
      events: page.map((e) => ({ id: e.id, userId: e.userId, type: e.type, factorId: e.factorId, challengeId: e.challengeId, at: e.at, details: JSON.parse(e.details) as Record<string, string> })),
      nextPageToken: rows.length > limit ? encodeToken(page[page.length - 1].id) : '',
    };
  }
}
