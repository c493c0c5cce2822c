import { InitialSchema1732752000000 } from './1732752000000-initial-schema';
import { ChallengeCodeLength1732838400000 } from './1732838400000-challenge-code-length';
import { PushDevices1732924800000 } from './1732924800000-push-devices';
import { ChallengeRedeemedAt1733011200000 } from './1733011200000-challenge-redeemed-at';
import { DuoEnrollUrlSealed1733097600000 } from './1733097600000-duo-enroll-url-sealed';
import { TotpRecentSteps1733184000000 } from './1733184000000-totp-recent-steps';

export const MIGRATIONS = [InitialSchema1732752000000, ChallengeCodeLength1732838400000, PushDevices1732924800000, ChallengeRedeemedAt1733011200000, DuoEnrollUrlSealed1733097600000, TotpRecentSteps1733184000000];
