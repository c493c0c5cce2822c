import { randomInt } from 'node:crypto';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import type { Challenge, Factor } from '@mfa/contracts';
import type { ReceivedCall, ReceivedMail, ReceivedMessage } from '@mfa/fakes';
import { eventually } from '@mfa/testing';
import type { Stack } from './stack';

/** What a person reads off the phone or the mail: the first run of 6–8 digits. */
const CODE = /(?<![0-9])([0-9]{6,8})(?![0-9])/;

export function codeFromSms(message: ReceivedMessage): string {
  const match = CODE.exec(message.body);
  if (!match) throw new Error('no code in the SMS body');
  return match[1];
}

/** A call says the code digit by digit ("4, 7, 0, 8, 1, 5."), twice; both must agree. */
export function codeFromCall(call: ReceivedCall): string {
  const spoken = [...(call.twiml ?? '').matchAll(/>(\d(?:, \d){5,7})\.</g)].map((m) => m[1].replace(/, /g, ''));
  if (spoken.length !== 2 || spoken[0] !== spoken[1]) throw new Error(`expected the code said twice, heard ${spoken.length} times`);
  return spoken[0];
}

export function codeFromMail(mail: ReceivedMail): string {
  const match = CODE.exec(mail.text ?? '');
  if (!match) throw new Error('no code in the mail text');
  return match[1];
}

const numbers = new Set<string>();
/** A fresh, valid US number (+1 415 555 xxxx) no other test of this run uses. */
export function uniqueUsNumber(): string {
  return unique(() => `+1415555${String(randomInt(10_000)).padStart(4, '0')}`);
}
/** A fresh German mobile number. */
export function uniqueDeNumber(): string {
  return unique(() => `+4915112${String(randomInt(1_000_000)).padStart(6, '0')}`);
}
function unique(draw: () => string): string {
  for (;;) {
    const number = draw();
    if (!numbers.has(number)) {
      numbers.add(number);
      return number;
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export { eventually };

export function challengeWhere(client: MfaClient, id: string, predicate: (c: Challenge) => boolean, timeoutMs = 15_000): Promise<Challenge> {
  let last: Challenge | undefined;
  return eventually(
    () => `challenge ${id} to change (last ${last?.status}/${last?.delivery})`,
    async () => {
      last = await client.getChallenge({ challenge_id: id });
      return predicate(last) ? last : undefined;
    },
    timeoutMs,
  );
}

/** Awaits a call that must fail with `expected` and returns the error. */
export async function grpcError(call: Promise<unknown>, expected: status): Promise<ServiceError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as ServiceError,
  );
  if (!error) throw new Error(`expected ${status[expected]}, but the call succeeded`);
  if (error.code !== expected) throw new Error(`expected ${status[expected]}, got ${status[error.code] ?? error.code}: ${error.details}`);
  return error;
}

/** The n-th (0-based) SMS the fake accepted for `number`. */
export function nthSms(stack: Stack, number: string, n: number, timeoutMs = 15_000): Promise<ReceivedMessage> {
  return eventually(`SMS #${n + 1} to a test number`, () => stack.twilio.messages.filter((m) => m.to === number)[n], timeoutMs);
}

export function smsTo(stack: Stack, number: string): ReceivedMessage[] {
  return stack.twilio.messages.filter((m) => m.to === number);
}

/** Enrolls an SMS factor and confirms it with the code that reached the fake. */
export async function enrollSms(stack: Stack, client: MfaClient, userId: string, number = uniqueUsNumber()): Promise<{ factor: Factor; number: string }> {
  const before = smsTo(stack, number).length;
  const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: number, locale: 'en' });
  const code = codeFromSms(await nthSms(stack, number, before));
  const factor = await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor!.id, code });
  return { factor, number };
}

/** Runs `task` over `items` with at most `parallel` at a time. */
export async function inBatches<T, R>(items: T[], parallel: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
  return results;
}
