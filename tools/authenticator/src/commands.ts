import { hostname } from 'node:os';
import { Authenticator, DeviceApiError, type DeviceChallenge, type DeviceStore, type Fetch } from '@mfa/authenticator-sdk';
import { AnswerQueue } from './answer-queue';
import { formatChallenge } from './challenge-format';

/** Thrown for a command line that cannot be run as given (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Thrown for anything else the user should read as one line (exit 1). */
export class CommandError extends Error {
  override name = 'CommandError';
}

export interface CommandContext {
  store: DeviceStore;
  /** Shown in messages about the store ("no device enrolled in …"). */
  storeName: string;
  out: (line: string) => void;
  fetch?: Fetch;
}

export interface WatchContext extends CommandContext {
  /** The user's answers, one line each; the watch ends once they have ended and all are used. */
  input: AsyncIterator<string>;
  signal?: AbortSignal;
}

async function loadDevice(ctx: CommandContext): Promise<Authenticator> {
  const device = await Authenticator.load(ctx.store, { fetch: ctx.fetch });
  if (!device) throw new CommandError(`no device enrolled in ${ctx.storeName}: run "authenticator enroll <uri>" first`);
  return device;
}

export async function enrollCommand(ctx: CommandContext, uri: string, options: { name?: string } = {}): Promise<void> {
  const existing = await ctx.store.load();
  if (existing) throw new CommandError(`${ctx.storeName} already holds device ${existing.deviceId} (${existing.issuer}: ${existing.label}); use another --store`);
  const device = await Authenticator.enroll(uri, {
    name: options.name ?? `authenticator on ${hostname()}`,
    push: { platform: 'none' },
    store: ctx.store,
    fetch: ctx.fetch,
  });
  ctx.out(`Enrolled "${device.name}" for ${device.issuer || device.baseUrl}: ${device.label || '-'}`);
  ctx.out(`device ${device.deviceId}, factor ${device.factorId}, key kept in ${ctx.storeName}`);
}

export async function listCommand(ctx: CommandContext): Promise<void> {
  const pending = await (await loadDevice(ctx)).pendingChallenges();
  if (pending.length === 0) ctx.out('No pending sign-in requests.');
  for (const challenge of pending) formatChallenge(challenge).forEach((line) => ctx.out(line));
}

export async function showCommand(ctx: CommandContext, id: string): Promise<void> {
  formatChallenge(await (await loadDevice(ctx)).challenge(id)).forEach((line) => ctx.out(line));
}

export async function approveCommand(ctx: CommandContext, id: string, options: { number?: string } = {}): Promise<void> {
  const device = await loadDevice(ctx);
  // Checked first: sending no number where one is needed would use up one of the challenge's attempts.
  const challenge = await device.challenge(id);
  if (challenge.numberMatching && !options.number) throw new UsageError(`challenge ${id} needs the number shown on the login screen: --number NN`);
  const { status } = await device.approve(id, { bindingCode: options.number });
  ctx.out(`${id}: ${status}`);
}

export async function denyCommand(ctx: CommandContext, id: string, options: { fraud?: boolean } = {}): Promise<void> {
  const { status } = await (await loadDevice(ctx)).deny(id, { fraud: options.fraud });
  ctx.out(`${id}: ${status}${options.fraud ? ' (reported as fraud: the account is locked)' : ''}`);
}

const PROMPT = 'answer: a NN = approve with the number on the login screen, d = deny, f = deny, this wasn’t me, s = skip';
const PROMPT_NO_NUMBER = 'answer: a = approve, d = deny, f = deny, this wasn’t me, s = skip';

type Answer = { kind: 'approve'; number?: string } | { kind: 'deny'; fraud: boolean } | { kind: 'skip' };

function parseAnswer(line: string, challenge: DeviceChallenge): Answer | string {
  const [word = '', number, ...rest] = line.trim().split(/\s+/);
  if (rest.length > 0) return 'too many words';
  switch (word.toLowerCase()) {
    case 'a':
      if (challenge.numberMatching && !number) return 'type "a" and the number shown on the login screen, e.g. "a 42"';
      return { kind: 'approve', number };
    case 'd':
    case 'f':
      return number ? `"${word}" takes no number` : { kind: 'deny', fraud: word.toLowerCase() === 'f' };
    case 's':
      return { kind: 'skip' };
    default:
      return `unknown answer "${line.trim()}"`;
  }
}

/** Answers one challenge from the input; false when the input ended. */
async function answerChallenge(ctx: WatchContext, answers: AnswerQueue, device: Authenticator, challenge: DeviceChallenge): Promise<boolean> {
  for (;;) {
    ctx.out(challenge.numberMatching ? PROMPT : PROMPT_NO_NUMBER);
    const line = await answers.next();
    if (line === null) return false;
    const answer = parseAnswer(line, challenge);
    if (typeof answer === 'string') {
      ctx.out(answer);
      continue;
    }
    if (answer.kind === 'skip') return true;
    try {
      const { status } = answer.kind === 'approve' ? await device.approve(challenge.id, { bindingCode: answer.number }) : await device.deny(challenge.id, { fraud: answer.fraud });
      ctx.out(`${challenge.id}: ${status}`);
      return true;
    } catch (error) {
      if (!(error instanceof DeviceApiError)) throw error;
      ctx.out(`${challenge.id}: ${error.message} (${error.status} ${error.code})`);
      // A wrong number leaves the challenge pending with one attempt fewer: let the user try again.
      if (error.code !== 'binding_mismatch') return true;
    }
  }
}

/** Polls for sign-in requests and asks about each one as it arrives, until aborted or input ends. */
export async function watchCommand(ctx: WatchContext, options: { intervalMs?: number } = {}): Promise<void> {
  const device = await loadDevice(ctx);
  const stop = new AbortController();
  const abort = (): void => stop.abort();
  ctx.signal?.addEventListener('abort', abort);
  if (ctx.signal?.aborted) abort();
  const answers = new AnswerQueue(ctx.input);
  answers.onDrained(abort);
  ctx.out(`Watching for sign-in requests for ${device.issuer || device.baseUrl}: ${device.label || '-'} (Ctrl-C to stop)`);
  try {
    for await (const challenge of device.poll({ intervalMs: options.intervalMs, signal: stop.signal })) {
      ctx.out('');
      ctx.out('New sign-in request:');
      formatChallenge(challenge).forEach((line) => ctx.out(line));
      if (!(await answerChallenge(ctx, answers, device, challenge))) return;
    }
  } finally {
    ctx.signal?.removeEventListener('abort', abort);
  }
}
