import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { MfaClient } from '@mfa/client';
import { MFA_PROTO_PATH, PROTO_LOADER_OPTIONS } from '@mfa/contracts';
import { TenantAdmin } from '@mfa/persistence';
import { totp } from '@mfa/testing';
import type { RunningGateway } from './gateway-harness';

/** One TOTP time step. A step is accepted once per factor: advance the clock by this between successes. */
export const STEP_MS = 30_000;

/** RFC 3339 timestamp in UTC as the gateway writes it (`toISOString`), with or without fractions. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface EnrolledTotp {
  factorId: string;
  secret: string;
}

/**
 * Enrolls and confirms a TOTP factor, then moves the clock one step on so the next code the
 * test computes is not a replay of the confirmation step.
 */
export async function enrolledTotp(gateway: RunningGateway, client: MfaClient, userId: string): Promise<EnrolledTotp> {
  const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_TOTP', label: `${userId}@example.com` });
  const secret = enrollment.totp!.secret_base32;
  await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor.id, code: totp(secret, gateway.clock.now()) });
  gateway.clock.advance(STEP_MS);
  return { factorId: enrollment.factor.id, secret };
}

/** The code the authenticator app shows right now on the gateway's clock. */
export const currentCode = (gateway: RunningGateway, secret: string): string => totp(secret, gateway.clock.now());

/** A well-formed 6-digit code that matches none of the steps the gateway accepts right now. */
export function wrongCode(gateway: RunningGateway, secret: string): string {
  const now = gateway.clock.now();
  const window = new Set([-1, 0, 1].map((delta) => totp(secret, now + delta * STEP_MS)));
  for (let candidate = Number(totp(secret, now + 7 * STEP_MS)); ; candidate = (candidate + 1) % 1_000_000) {
    const code = String(candidate).padStart(6, '0');
    if (!window.has(code)) return code;
  }
}

/** A recovery code of the right format that the gateway never issued (with odds of 2^-80). */
export const UNISSUED_RECOVERY_CODE = 'ZZZZ-ZZZZ-ZZZZ-ZZZZ';

/** A new tenant in the gateway's database and a client holding one of its API keys. */
export async function newTenant(gateway: RunningGateway, name: string): Promise<{ tenantId: string; apiKeyId: string; apiKey: string; client: MfaClient }> {
  const admin = new TenantAdmin(gateway.database);
  const tenant = await admin.createTenant(`${name}-${Math.random().toString(36).slice(2, 8)}`);
  const issued = await admin.issueApiKey(tenant.id);
  return { tenantId: tenant.id, apiKeyId: issued.id, apiKey: issued.apiKey, client: gateway.client(issued.apiKey) };
}

/** GET /metrics as text. */
export async function metricsText(gateway: RunningGateway): Promise<string> {
  const response = await fetch(`${gateway.httpUrl}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** Sum of every sample of a counter (all label sets), 0 when it has none yet. */
export function counterValue(metrics: string, name: string): number {
  const sample = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm');
  return [...metrics.matchAll(sample)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Tables whose rows a rejected request must not touch. */
export const STATE_TABLES = ['factors', 'challenges', 'recovery_codes', 'user_states', 'audit_events', 'used_totp_steps'] as const;

/** Row counts of the state tables plus every tenant's stored policy, to compare before and after a call. */
export async function databaseSnapshot(gateway: RunningGateway): Promise<Record<string, unknown>> {
  const snapshot: Record<string, unknown> = {};
  for (const table of STATE_TABLES) {
    const rows = (await gateway.database.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: string | number }[];
    snapshot[table] = Number(rows[0].n);
  }
  const policies = (await gateway.database.dataSource.query('SELECT id, policy FROM tenants ORDER BY id')) as { id: string; policy: string | null }[];
  snapshot.policies = policies.map((p) => `${p.id}=${p.policy ?? ''}`);
  return snapshot;
}

type RawUnary = (request: unknown, metadata: Metadata, callback: (error: ServiceError | null, response: unknown) => void) => void;

/**
 * Calls one MfaService method with exactly the metadata given (MfaClient always sends an
 * `authorization` header); resolves with the response or rejects with the gRPC error.
 */
export function rawMfaCall(address: string, method: string, request: unknown, metadata = new Metadata()): Promise<unknown> {
  const definition = loadPackageDefinition(loadSync(MFA_PROTO_PATH, PROTO_LOADER_OPTIONS)) as unknown as {
    mfa: { v1: { MfaService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Record<string, RawUnary> & { close(): void } } };
  };
  const client = new definition.mfa.v1.MfaService(address, credentials.createInsecure());
  return new Promise<unknown>((resolve, reject) => {
    client[method].call(client, request, metadata, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
  });
}
