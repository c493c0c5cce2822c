import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Authenticator, MemoryDeviceStore } from '@mfa/authenticator-sdk';
import { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { totp } from '@mfa/testing';

/**
 * `npm run walkthrough`: every factor against the running `npm start`: TOTP (playing the
 * authenticator app with an independent RFC 6238 implementation), SMS (reading the code from the
 * loopback Twilio fake), push (the authenticator SDK as the phone) and Duo (the loopback Duo).
 * `npm run walkthrough -- push` instead waits for you to approve with the command-line
 * authenticator.
 */
function apiKey(): string {
  const fromEnv = process.env.MFA_API_KEY ?? process.env.MFA_BOOTSTRAP_API_KEY;
  if (fromEnv) return fromEnv;
  const file = join(process.env.MFA_DATA_DIR ?? '.data', 'bootstrap-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new Error('set MFA_API_KEY to the key `npm start` printed');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const TWILIO_FAKE_URL = process.env.TWILIO_FAKE_URL ?? `http://127.0.0.1:${Number(process.env.HTTP_PORT ?? 3000) + 10}`;

async function smsTo(phone: string): Promise<{ body: string }[]> {
  const messages = (await (await fetch(`${TWILIO_FAKE_URL}/_fake/messages`)).json()) as { to: string; body: string }[];
  return messages.filter((m) => m.to === phone);
}

/** Waits for the next SMS the loopback Twilio fake receives for a number, as the user's phone would. */
async function nextSmsCode(phone: string, seenBefore: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const fresh = (await smsTo(phone)).slice(seenBefore);
    const code = fresh.length > 0 ? /\b(\d{6,8})\b/.exec(fresh[fresh.length - 1].body)?.[1] : undefined;
    if (code) return code;
    await sleep(200);
  }
  throw new Error(`no SMS reached the Twilio fake at ${TWILIO_FAKE_URL} (is npm start running without TWILIO_ACCOUNT_SID?)`);
}

async function smsWalkthrough(client: MfaClient, userId: string): Promise<void> {
  const phone = '+14155550123';
  let seen = (await smsTo(phone)).length;
  const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: phone, locale: 'en' });
  console.log(`6. EnrollFactor(SMS ${enrollment.factor.display}) → ownership code sent (challenge ${enrollment.challenge_id})`);
  const ownershipCode = await nextSmsCode(phone, seen);
  const factor = await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor.id, code: ownershipCode });
  console.log(`7. ConfirmEnrollment with the code from the SMS → ${factor.status}`);
  seen = (await smsTo(phone)).length;
  const challenge = await client.startChallenge({ user_id: userId, factor_id: factor.id });
  console.log(`8. StartChallenge(SMS) → ${challenge.status}, delivery ${challenge.delivery}`);
  const code = await nextSmsCode(phone, seen);
  const delivered = await client.getChallenge({ challenge_id: challenge.id });
  const verified = await client.verifyChallenge({ challenge_id: challenge.id, code });
  console.log(`9. SMS arrived (delivery ${delivered.delivery}); VerifyChallenge → ok=${verified.ok}, ${verified.challenge?.status}`);
}

/** Resolves with the last state WatchChallenge streamed, once it ends on a final status. */
function finalState(client: MfaClient, challengeId: string): Promise<Challenge> {
  return new Promise((resolve, reject) => {
    let last: Challenge | undefined;
    const stream = client.watchChallenge({ challenge_id: challengeId });
    stream.on('data', (c: Challenge) => (last = c));
    stream.on('end', () => (last ? resolve(last) : reject(new Error('the stream ended without a state'))));
    stream.on('error', reject);
  });
}

async function pushWalkthrough(client: MfaClient, userId: string): Promise<void> {
  const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_PUSH', label: `${userId}@example.com` });
  const app = await Authenticator.enroll(enrollment.push!.enrollment_uri, { name: 'Walkthrough phone', push: { platform: 'fcm', token: `walkthrough-${userId}` }, store: new MemoryDeviceStore() });
  console.log(`10. EnrollFactor(PUSH) → the SDK scanned ${enrollment.push!.enrollment_uri.slice(0, 40)}… and enrolled (factor ACTIVE)`);
  const challenge = await client.startChallenge({ user_id: userId, factor_id: enrollment.factor.id, context: { application: 'walkthrough', ip: '127.0.0.1', user_agent: 'cli', action: 'login', location: 'here' } });
  console.log(`11. StartChallenge(PUSH) → the login screen shows the number ${challenge.binding_code}; FCM (the fake) wakes the app`);
  const outcome = finalState(client, challenge.id);
  const [pending] = await app.pendingChallenges();
  await app.approve(pending.id, { bindingCode: challenge.binding_code });
  console.log(`12. The app showed "${pending.context.application}" from ${pending.context.ip} and approved with ${challenge.binding_code}; WatchChallenge → ${(await outcome).status}`);
}

async function duoWalkthrough(client: MfaClient, userId: string): Promise<void> {
  const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_DUO', duo_username: 'duo-allow' });
  console.log(`13. EnrollFactor(DUO duo-allow) → Duo preauth says ${enrollment.factor.status}`);
  const challenge = await client.startChallenge({ user_id: userId, factor_id: enrollment.factor.id });
  console.log(`14. StartChallenge(DUO) → Duo Push sent; the fake user approves after a moment… ${(await finalState(client, challenge.id)).status}`);
}

/** `-- push`: you are the phone, with the command-line authenticator. */
async function manualPush(client: MfaClient, userId: string): Promise<void> {
  const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_PUSH', label: `${userId}@example.com` });
  console.log(`Enroll the command-line authenticator (in another terminal):\n\n  npm run -s authenticator -- enroll '${enrollment.push!.enrollment_uri}'\n`);
  for (;;) {
    const [factor] = (await client.listFactors({ user_id: userId })).factors;
    if (factor?.status === 'FACTOR_STATUS_ACTIVE') break;
    await sleep(1_000);
  }
  const challenge = await client.startChallenge({ user_id: userId, context: { application: 'walkthrough', ip: '127.0.0.1', user_agent: 'cli', action: 'login', location: 'here' } });
  console.log(`Login screen: approve the request with the number ${challenge.binding_code}:\n\n  npm run -s authenticator -- approve ${challenge.id} --number ${challenge.binding_code}\n`);
  console.log(`WatchChallenge → ${(await finalState(client, challenge.id)).status}`);
}

async function main(): Promise<void> {
  const client = new MfaClient({ address: `127.0.0.1:${process.env.GRPC_PORT ?? 50051}`, apiKey: apiKey() });
  const userId = `walkthrough-${Date.now()}`;
  try {
    if (process.argv[2] === 'push') return await manualPush(client, userId);
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_TOTP', label: `${userId}@example.com` });
    const secret = enrollment.totp!.secret_base32;
    console.log(`1. EnrollFactor  → factor ${enrollment.factor.id} (${enrollment.factor.status})`);
    console.log(`   scan this in Google Authenticator: ${enrollment.totp!.otpauth_uri}`);

    const factor = await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor.id, code: totp(secret, Date.now()) });
    console.log(`2. ConfirmEnrollment with the app's first code → ${factor.status}`);

    const challenge = await client.startChallenge({ user_id: userId, context: { application: 'walkthrough', ip: '127.0.0.1', user_agent: 'cli', action: 'login', location: '' } });
    console.log(`3. StartChallenge → ${challenge.id} ${challenge.status}, expires ${challenge.expires_at}`);

    // The confirmation used this time step; a code is accepted once, so wait for the next one.
    const nextStep = (Math.floor(Date.now() / 30_000) + 1) * 30_000;
    console.log(`   waiting ${Math.ceil((nextStep - Date.now()) / 1000)} s for the next 30-second code…`);
    await sleep(nextStep - Date.now() + 200);
    const verified = await client.verifyChallenge({ challenge_id: challenge.id, code: totp(secret, Date.now()) });
    console.log(`4. VerifyChallenge → ok=${verified.ok}, ${verified.challenge?.status}`);

    const recovery = await client.generateRecoveryCodes({ user_id: userId });
    console.log(`5. GenerateRecoveryCodes → ${recovery.codes.length} codes, e.g. ${recovery.codes[0]}`);

    await smsWalkthrough(client, userId);
    await pushWalkthrough(client, userId);
    await duoWalkthrough(client, userId);
  } finally {
    client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`walkthrough failed: ${(error as Error).message}`);
  process.exit(1);
});
