import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuoFake, FcmFake, SmtpFake, TwilioFake } from '@mfa/fakes';
import { maskEmail, maskPhoneNumber } from '@mfa/domain';
import { describeExit, STOP_TIMEOUT_MS, stoppedCleanly } from './app-stop';
import { developmentEncryptionKey } from './development-keys';

/**
 * `npm start`: the gateway and every worker on embedded defaults. Where a provider's settings are
 * absent it starts the bundled loopback fake and points the worker at it, so the whole flow works
 * on one machine; the fakes' pages show what was "sent". With NODE_ENV=production it fills in
 * nothing: the apps' own checks stop a start that lacks a required setting. SIGTERM or SIGINT
 * stops everything; the exit code is 0 only when every app stopped cleanly.
 */
interface AppSpec {
  name: string;
  entry: string;
  port: number;
}

const distRoot = join(__dirname, '..', '..', '..');
const basePort = Number(process.env.HTTP_PORT ?? 3000);
const production = process.env.NODE_ENV === 'production';

/** API.md §6: the workers take the ports after the gateway's. */
const APPS: AppSpec[] = [
  { name: 'gateway', entry: 'apps/gateway/src/main.js', port: basePort },
  { name: 'otp-worker', entry: 'apps/otp-worker/src/main.js', port: basePort + 1 },
  { name: 'telephony-worker', entry: 'apps/telephony-worker/src/main.js', port: basePort + 2 },
  { name: 'email-worker', entry: 'apps/email-worker/src/main.js', port: basePort + 3 },
  { name: 'push-worker', entry: 'apps/push-worker/src/main.js', port: basePort + 4 },
  { name: 'duo-worker', entry: 'apps/duo-worker/src/main.js', port: basePort + 5 },
];

const children = new Map<string, ChildProcess>();
const stoppables: { stop(): Promise<void> }[] = [];
let stopping = false;
let exitCode = 0;

function say(line: string): void {
  process.stdout.write(`[dev] ${line}\n`);
}

function warn(line: string): void {
  process.stderr.write(`[dev] warning: ${line}\n`);
}

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
  stream.on('end', () => {
    if (buffered) out.write(`[${name}] ${buffered}\n`);
  });
}

/** Development defaults shared by every app, so they agree on keys and providers. */
async function sharedEnvironment(): Promise<Record<string, string | undefined>> {
  const env: Record<string, string | undefined> = { ...process.env };
  const dataDir = env.MFA_DATA_DIR ?? '.data';
  if (production) {
    // A development key would encrypt production secrets with a key kept in .data/: the apps'
    // own check stops the start instead, naming MFA_ENCRYPTION_KEYS.
    say('NODE_ENV=production: no development encryption key; MFA_ENCRYPTION_KEYS must come from the environment');
  } else if (!env.MFA_ENCRYPTION_KEYS) {
    const key = developmentEncryptionKey(dataDir);
    env.MFA_ENCRYPTION_KEYS = key.spec;
    warn(key.warning);
  }
  // API.md §6: a provider whose settings are absent is played by its loopback fake, in
  // production too; there it is said loudly, since nothing then reaches a real phone or inbox.
  const fakeNotice = (line: string): void => (production ? warn(`NODE_ENV=production but ${line}; nothing reaches real users`) : say(line));

  if (!env.TWILIO_ACCOUNT_SID) {
    const twilio = new TwilioFake({ port: Number(env.FAKE_TWILIO_PORT ?? basePort + 10) });
    await twilio.start();
    stoppables.push(twilio);
    Object.assign(env, { TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_FROM_NUMBER: env.TWILIO_FROM_NUMBER ?? '+15005550006', TWILIO_API_BASE_URL: twilio.url });
    // The code is what this echo is for (no phone here); the number and address stay masked as in every log.
    twilio.onMessage((m) => say(`twilio fake: SMS to ${maskPhoneNumber(m.to)}: ${m.body}`));
    twilio.onCall((c) => say(`twilio fake: call to ${maskPhoneNumber(c.to)}: ${c.twiml ?? c.url ?? ''}`));
    fakeNotice(`no TWILIO_ACCOUNT_SID: SMS and calls go to the loopback Twilio fake, see ${twilio.url}/`);
  }
  if (!env.SMTP_URL) {
    const smtp = new SmtpFake({ port: Number(env.FAKE_SMTP_PORT ?? basePort + 11) });
    await smtp.start();
    stoppables.push(smtp);
    env.SMTP_URL = smtp.url;
    env.MAIL_FROM ||= '"MFA Gateway" <no-reply@mfa.localhost>';
    smtp.onMail((m) => say(`smtp fake: mail to ${m.to.map(maskEmail).join(', ')}: ${m.subject}\n${m.text ?? ''}`));
    fakeNotice(`no SMTP_URL: e-mail goes to the loopback SMTP fake at ${smtp.url}`);
  }
  if (!env.FIREBASE_PROJECT_ID) {
    const fcm = new FcmFake({ port: Number(env.FAKE_FCM_PORT ?? basePort + 12) });
    await fcm.start();
    stoppables.push(fcm);
    Object.assign(env, { FIREBASE_PROJECT_ID: fcm.projectId, GOOGLE_APPLICATION_CREDENTIALS: fcm.writeServiceAccountFile(dataDir), FCM_API_BASE_URL: fcm.url });
    fcm.onMessage((m) => say(`fcm fake: push to a device, data ${JSON.stringify(m.data)}`));
    fakeNotice(`no FIREBASE_PROJECT_ID: pushes go to the loopback FCM fake at ${fcm.url}/`);
  }
  if (!env.DUO_INTEGRATION_KEY) {
    const duo = new DuoFake({ port: Number(env.FAKE_DUO_PORT ?? basePort + 13), host: 'api-fake.duosecurity.com', answerDelayMs: 2_000 });
    await duo.start();
    stoppables.push(duo);
    // Scripted users to try each outcome; any other username is sent to Duo's enrollment.
    for (const [username, behaviour] of [['duo-allow', 'allow'], ['duo-deny', 'deny'], ['duo-timeout', 'timeout'], ['duo-blocked', 'preauth_deny']] as const) duo.setUser(username, behaviour);
    Object.assign(env, { DUO_INTEGRATION_KEY: duo.integrationKey, DUO_SECRET_KEY: duo.secretKey, DUO_API_HOST: duo.host, DUO_API_BASE_URL: duo.url });
    fakeNotice(`no DUO_INTEGRATION_KEY: Duo calls go to the loopback Duo fake (users duo-allow, duo-deny, duo-timeout, duo-blocked; passcode 123456)`);
  }
  return env;
}

function start(app: AppSpec, env: Record<string, string | undefined>): void {
  // Workers run with the V8 old-space cap the Dockerfile gives them (WORKER_HEAP_MB, default 96).
  const heap = app.name.endsWith('-worker') ? [`--max-old-space-size=${env.WORKER_HEAP_MB || 96}`] : [];
  const child = spawn(process.execPath, [...heap, join(distRoot, app.entry)], { env: { ...env, HTTP_PORT: String(app.port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(app.name, child);
  prefixLines(app.name, child.stdout!, process.stdout);
  prefixLines(app.name, child.stderr!, process.stderr);
  // 'close', not 'exit': the app's last lines (a start-up error, say) are forwarded by then.
  child.on('close', (code, signal) => {
    children.delete(app.name);
    const exit = { code, signal };
    if (!stopping) {
      process.stderr.write(`[dev] ${app.name} exited (${describeExit(exit)}); stopping everything\n`);
      void stopAll(1);
      return;
    }
    if (!stoppedCleanly(exit)) {
      process.stderr.write(`[dev] ${app.name} did not stop cleanly (${describeExit(exit)})\n`);
      exitCode = 1;
    }
    if (children.size === 0) void finish();
  });
}

async function finish(): Promise<void> {
  await Promise.all(stoppables.map((s) => s.stop().catch(() => undefined)));
  process.exit(exitCode);
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  if (children.size === 0) return finish();
  say(`stopping ${[...children.keys()].join(', ')}`);
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    process.stderr.write(`[dev] still running ${STOP_TIMEOUT_MS} ms after SIGTERM, killed: ${[...children.keys()].join(', ')}\n`);
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, STOP_TIMEOUT_MS).unref();
}

async function main(): Promise<void> {
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGINT', () => void stopAll(0));
  const env = await sharedEnvironment();
  for (const app of APPS) {
    if (existsSync(join(distRoot, app.entry))) start(app, env);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[dev] start-up failed: ${(error as Error).message}\n`);
  void stopAll(1);
});
