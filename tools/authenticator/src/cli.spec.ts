import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The SDK's device API test peer: shared test code, deliberately kept out of the SDK's public
// index (it needs Node, the SDK must not), so it can only be reached by path.
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only import, see above
import { DeviceApiPeer } from '../../../libs/authenticator-sdk/testing/device-api-peer';
import { runCli } from './cli';

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function* linesOf(lines: string[]): AsyncGenerator<string> {
  for (const line of lines) yield line;
}

describe('authenticator CLI', () => {
  let peer: DeviceApiPeer;
  let dir: string;
  let store: string;

  beforeEach(async () => {
    peer = await DeviceApiPeer.start();
    dir = await mkdtemp(join(tmpdir(), 'authenticator-'));
    store = join(dir, 'device.json');
  });
  afterEach(async () => {
    await peer.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(argv: string[], input: string[] = []): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')), input: linesOf(input) });
    return { code, out, err };
  }

  async function enroll(): Promise<string> {
    const { code } = await run(['enroll', peer.issueTicket({ issuer: 'Acme', label: 'alice' }).uri, '--name', 'CLI test', '--store', store]);
    expect(code).toBe(0);
    return [...peer.devices.keys()].at(-1)!;
  }

  describe('usage', () => {
    it('prints help for the tool and for each command, exit 0', async () => {
      const top = await run(['--help']);
      expect(top.code).toBe(0);
      expect(top.out.join('\n')).toMatch(/enroll <uri>[\s\S]*watch/);
      for (const command of ['enroll', 'list', 'show', 'approve', 'deny', 'watch']) {
        const help = await run([command, '--help']);
        expect(help.code).toBe(0);
        expect(help.out[0]).toMatch(new RegExp(`^usage: authenticator ${command}`));
        expect(help.out.join('\n')).toContain('--store FILE');
      }
    });

    it.each([
      [[], /^usage: authenticator <command>/],
      [['frobnicate'], /^authenticator: unknown command "frobnicate"/],
      [['approve'], /^authenticator: approve needs <id>/],
      [['list', 'extra'], /^authenticator: list takes no arguments/],
      [['deny', 'ch_1', '--fraudulent'], /^authenticator: Unknown option '--fraudulent'/],
      [['approve', 'ch_1', '--number'], /^authenticator: Option '--number <value>' argument missing/],
      [['watch', '--interval', 'soon'], /^authenticator: --interval must be a positive number/],
    ])('exits 2 on %j', async (argv, message) => {
      const result = await run(argv as string[]);
      expect(result.code).toBe(2);
      expect(result.err[0]).toMatch(message);
    });
  });

  describe('enroll', () => {
    it('enrolls from the URI and keeps the record in a 0600 JSON file', async () => {
      const result = await run(['enroll', peer.issueTicket({ issuer: 'Acme', label: 'alice' }).uri, '--name', 'my laptop', '--store', store]);
      expect(result).toMatchObject({ code: 0, err: [] });
      expect(result.out[0]).toBe('Enrolled "my laptop" for Acme: alice');
      const [device] = peer.devices.values();
      expect(device).toMatchObject({ name: 'my laptop', push: { platform: 'none' } });
      expect((await stat(store)).mode & 0o777).toBe(0o600);
      const record = JSON.parse(await readFile(store, 'utf8'));
      expect(record).toMatchObject({ version: 1, deviceId: device.deviceId, factorId: device.factorId, baseUrl: peer.baseUrl, publicKey: device.publicJwk });
      expect(typeof record.privateKey.d).toBe('string');
    });

    it('refuses to overwrite an enrolled device, and reports a used ticket in one line', async () => {
      await enroll();
      const again = await run(['enroll', peer.issueTicket().uri, '--store', store]);
      expect(again.code).toBe(1);
      expect(again.err).toEqual([expect.stringMatching(/^authenticator: .*already holds device dev_/)]);

      const { uri } = peer.issueTicket();
      await run(['enroll', uri, '--store', join(dir, 'first.json')]);
      const reused = await run(['enroll', uri, '--store', join(dir, 'second.json')]);
      expect(reused).toMatchObject({ code: 1, err: ['authenticator: the enrollment ticket is unknown, used or expired (HTTP 400 invalid_ticket)'] });
    });

    it('reports a bad URI and an unreachable gateway in one line, exit 1', async () => {
      expect(await run(['enroll', 'https://example.com', '--store', store])).toMatchObject({ code: 1, err: ['authenticator: not an mfa-push:// URI (scheme "https")'] });
      const unreachable = 'mfa-push://enroll?v=1&ticket=t&base_url=http%3A%2F%2F127.0.0.1%3A1';
      const result = await run(['enroll', unreachable, '--store', store]);
      expect(result.code).toBe(1);
      expect(result.err).toEqual([expect.stringMatching(/^authenticator: cannot reach the gateway/)]);
    });
  });

  describe('list, show, approve, deny', () => {
    it('says so when nothing is enrolled', async () => {
      expect(await run(['list', '--store', store])).toMatchObject({ code: 1, err: [`authenticator: no device enrolled in ${store}: run "authenticator enroll <uri>" first`] });
    });

    it('lists pending requests with their context, and shows one', async () => {
      const deviceId = await enroll();
      expect((await run(['list', '--store', store])).out).toEqual(['No pending sign-in requests.']);
      const challenge = peer.startChallenge(deviceId, { context: { application: 'Payroll', action: 'sign in', ip: '203.0.113.7', location: 'Berlin, DE', user_agent: 'Firefox' } });
      const list = await run(['list', '--store', store]);
      expect(list.code).toBe(0);
      expect(list.out).toEqual([
        `${challenge.id}  PENDING  expires ${new Date(challenge.expiresAt).toISOString()}`,
        '  application  Payroll',
        '  action       sign in',
        '  ip           203.0.113.7',
        '  location     Berlin, DE',
        '  user agent   Firefox',
        '  number matching: approve with the number shown on the login screen',
      ]);
      expect((await run(['show', challenge.id, '--store', store])).out).toEqual(list.out);
      expect(await run(['show', 'ch_nope', '--store', store])).toMatchObject({ code: 1, err: ['authenticator: challenge not found (HTTP 404 not_found)'] });
    });

    it('will not approve a number-matching request without --number (that would burn an attempt)', async () => {
      const challenge = peer.startChallenge(await enroll(), { bindingCode: '42' });
      const result = await run(['approve', challenge.id, '--store', store]);
      expect(result).toMatchObject({ code: 2, err: [`authenticator: challenge ${challenge.id} needs the number shown on the login screen: --number NN`] });
      expect(peer.challenges.get(challenge.id)).toMatchObject({ status: 'PENDING', attemptsRemaining: 3 });
    });

    it('approves with the right number; a wrong one is one line and uses an attempt', async () => {
      const challenge = peer.startChallenge(await enroll(), { bindingCode: '42' });
      expect(await run(['approve', challenge.id, '--number', '24', '--store', store])).toMatchObject({ code: 1, err: ['authenticator: the number does not match the login screen (HTTP 403 binding_mismatch)'] });
      expect(peer.challenges.get(challenge.id)!.attemptsRemaining).toBe(2);
      expect(await run(['approve', challenge.id, '--number', '42', '--store', store])).toMatchObject({ code: 0, out: [`${challenge.id}: APPROVED`] });
      expect(await run(['approve', challenge.id, '--number', '42', '--store', store])).toMatchObject({ code: 1, err: ['authenticator: challenge is APPROVED (HTTP 409 not_pending)'] });
    });

    it('denies, and --fraud reports it', async () => {
      const deviceId = await enroll();
      const plain = peer.startChallenge(deviceId);
      const fraud = peer.startChallenge(deviceId);
      expect(await run(['deny', plain.id, '--store', store])).toMatchObject({ code: 0, out: [`${plain.id}: DENIED`] });
      expect(peer.challenges.get(plain.id)!.fraudReported).toBe(false);
      expect((await run(['deny', fraud.id, '--fraud', '--store', store])).out).toEqual([`${fraud.id}: DENIED (reported as fraud: the account is locked)`]);
      expect(peer.challenges.get(fraud.id)!.fraudReported).toBe(true);
    });
  });

  describe('watch', () => {
    it('shows each new request with its context, answers it from the typed lines, and ends when they are used up', async () => {
      const deviceId = await enroll();
      const first = peer.startChallenge(deviceId, { bindingCode: '42' });
      const second = peer.startChallenge(deviceId, { bindingCode: null });
      const result = await run(['watch', '--interval', '0.02', '--store', store], ['a', 'a 24', 'a 42', 'x', 'f']);
      expect(result.code).toBe(0);
      const text = result.out.join('\n');
      expect(text).toContain(`${first.id}  PENDING`);
      expect(text).toContain('  application  Payroll');
      expect(text).toContain('type "a" and the number shown on the login screen, e.g. "a 42"');
      expect(text).toContain(`${first.id}: the number does not match the login screen (403 binding_mismatch)`);
      expect(text).toContain(`${first.id}: APPROVED`);
      expect(text).toContain('unknown answer "x"');
      expect(text).toContain(`${second.id}: DENIED`);
      expect(peer.challenges.get(first.id)).toMatchObject({ status: 'APPROVED', attemptsRemaining: 2 });
      expect(peer.challenges.get(second.id)).toMatchObject({ status: 'DENIED', fraudReported: true });
      expect(text.split('New sign-in request:')).toHaveLength(3);
    });

    it('asks about each request once, however many polls see it', async () => {
      const deviceId = await enroll();
      const challenge = peer.startChallenge(deviceId);
      const controller = new AbortController();
      const input = (async function* () {
        yield 's';
        // Several more polls that still see the skipped request, then Ctrl-C.
        const polls = (): number => peer.requests.filter((r) => r.path.startsWith('/device/v1/challenges?') && r.status !== 0).length;
        const target = polls() + 4;
        while (polls() < target) await new Promise((resolve) => setTimeout(resolve, 5));
        controller.abort();
      })();
      const out: string[] = [];
      const code = await runCli(['watch', '--interval', '0.02', '--store', store], { out: (l) => out.push(l), err: (l) => out.push(l), input, signal: controller.signal });
      expect(code).toBe(0);
      expect(out.filter((l) => l === 'New sign-in request:')).toHaveLength(1);
      expect(peer.requests.filter((r) => r.path.startsWith('/device/v1/challenges?')).length).toBeGreaterThan(3);
      expect(peer.challenges.get(challenge.id)!.status).toBe('PENDING');
    });

    it('ends at once when input ends with no request waiting (Ctrl-D)', async () => {
      await enroll();
      const result = await run(['watch', '--interval', '0.02', '--store', store], []);
      expect(result.code).toBe(0);
      expect(result.out).toHaveLength(1);
    });

    it('stops when the signal aborts (Ctrl-C)', async () => {
      await enroll();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const out: string[] = [];
      const forever = (async function* () {
        await new Promise(() => undefined);
        yield '';
      })();
      const code = await runCli(['watch', '--interval', '0.02', '--store', store], { out: (l) => out.push(l), err: (l) => out.push(l), input: forever, signal: controller.signal });
      expect(code).toBe(0);
      expect(out[0]).toMatch(/^Watching for sign-in requests for Acme: alice/);
    });
  });
});
