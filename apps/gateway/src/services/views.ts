import { maskContactDetails } from '@mfa/domain';
import type { ChallengeEntity, FactorEntity } from '@mfa/persistence';

/** What the gRPC layer shows of a factor (API.md `Factor`), in domain terms. */
export interface FactorView {
  id: string;
  userId: string;
  type: FactorEntity['type'];
  status: FactorEntity['status'];
  display: string;
  createdAt: number;
  lastUsedAt: number | null;
  enrollUrl: string | null;
}

export interface ChallengeView {
  id: string;
  userId: string;
  factorId: string;
  type: ChallengeEntity['type'];
  status: ChallengeEntity['status'];
  delivery: ChallengeEntity['delivery'];
  createdAt: number;
  expiresAt: number;
  attemptsRemaining: number;
  bindingCode: string;
  reason: string;
}

export const factorView = (f: FactorEntity): FactorView => ({
  id: f.id,
  userId: f.userId,
  type: f.type,
  status: f.status,
  // A label or device name is the caller's free text and may hold an address or a number.
  display: maskContactDetails(f.display),
  createdAt: f.createdAt,
  lastUsedAt: f.lastUsedAt,
  enrollUrl: f.enrollUrl,
});

export const challengeView = (c: ChallengeEntity): ChallengeView => ({
  id: c.id,
  userId: c.userId,
  factorId: c.factorId,
  type: c.type,
  status: c.status,
  delivery: c.delivery,
  createdAt: c.createdAt,
  expiresAt: c.expiresAt,
  attemptsRemaining: c.attemptsRemaining,
  bindingCode: c.bindingCode ?? '',
  reason: c.reason,
});
