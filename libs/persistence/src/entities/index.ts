import { ApiKeyEntity } from './api-key.entity';
import { AuditEventEntity } from './audit-event.entity';
import { ChallengeEntity } from './challenge.entity';
import { EnrollmentTicketEntity } from './enrollment-ticket.entity';
import { FactorEntity } from './factor.entity';
import { RecoveryCodeEntity } from './recovery-code.entity';
import { TenantEntity } from './tenant.entity';
import { UsedTotpStepEntity } from './used-totp-step.entity';
import { UserStateEntity } from './user-state.entity';

export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  FactorEntity,
  ChallengeEntity,
  RecoveryCodeEntity,
  UsedTotpStepEntity,
  UserStateEntity,
  AuditEventEntity,
  EnrollmentTicketEntity,
];
