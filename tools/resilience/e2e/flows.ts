import type { MfaClient } from '@mfa/client';
import type { Challenge, Factor } from '@mfa/contracts';
import { codeFromSms, eventually, inBatches, uniqueUsNumber } from '../../e2e/src/flows';
import type { ResilientStack } from './resilient-stack';

export interface SmsUser {
  userId: string;
  number: string;
  factor: Factor;
}

/** Enrolls an SMS factor and confirms it with the code that reached the Twilio fake. */
export async function enrollSms(stack: ResilientStack, client: MfaClient, userId: string, number = uniqueUsNumber()): Promise<SmsUser> {
  const before = stack.twilio.messages.filter((m) => m.to === number).length;
  const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: number, locale: 'en' });
  const sms = await eventually(`the enrollment SMS of ${userId}`, () => stack.twilio.messages.filter((m) => m.to === number)[before], 30_000);
  const factor = await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor!.id, code: codeFromSms(sms) });
  return { userId, number, factor };
}

export function enrollSmsUsers(stack: ResilientStack, client: MfaClient, prefix: string, count: number, parallel = 25): Promise<SmsUser[]> {
  return inBatches(
    Array.from({ length: count }, (_, i) => `${prefix}-${i}`),
    parallel,
    (userId) => enrollSms(stack, client, userId),
  );
}

/** Reads every challenge (in parallel batches); failed reads are retried once. */
export function readChallenges(client: MfaClient, ids: string[], parallel = 32): Promise<Challenge[]> {
  return inBatches(ids, parallel, (id) => client.getChallenge({ challenge_id: id }).catch(() => client.getChallenge({ challenge_id: id })));
}

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
