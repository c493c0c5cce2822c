import { createHash } from 'node:crypto';
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

const TOKEN_PATTERN = /^(evt_[a-z0-9]{26})\.([A-Za-z0-9_-]{16})$/;

/** Which listing a token continues: a token is only good for the tenant and user it was issued for. */
const queryScope = (tenantId: string, userId: string): string => createHash('sha256').update(`${tenantId}\0${userId}`).digest('base64url').slice(0, 16);

/** Page tokens are opaque to clients: the last event id and the query's scope, base64url-encoded. */
const encodeToken = (id: string, scope: string): string => Buffer.from(`${id}.${scope}`, 'utf8').toString('base64url');
function decodeToken(token: string, scope: string): string {
  const match = token.length <= 96 ? TOKEN_PATTERN.exec(Buffer.from(token, 'base64url').toString('utf8')) : null;
  if (!match) throw invalidArgument('page_token', 'page_token is not one this API issued');
  if (match[2] !== scope) throw invalidArgument('page_token', 'page_token belongs to another listing (a different user_id or tenant)');
  return match[1];
}

@Injectable()
export class ListAuditEventsUseCase {
  constructor(private readonly database: Database) {}

  async execute(tenant: TenantContext, userId: string, pageSize: number, pageToken: string): Promise<AuditPage> {
    // As AIP-158 has it: a page_size above the maximum is served at the maximum, not refused.
    const limit = Math.min(pageSize || DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE);
    const scope = queryScope(tenant.tenantId, userId);
    const beforeId = pageToken ? decodeToken(pageToken, scope) : undefined;
    const rows = await new AuditRepository(this.database.manager).page(tenant.tenantId, userId || undefined, beforeId, limit + 1);
    const page = rows.slice(0, limit);
    return {
      events: page.map((e) => ({ id: e.id, userId: e.userId, type: e.type, factorId: e.factorId, challengeId: e.challengeId, at: e.at, details: JSON.parse(e.details) as Record<string, string> })),
      nextPageToken: rows.length > limit ? encodeToken(page[page.length - 1].id, scope) : '',
    };
  }
}
