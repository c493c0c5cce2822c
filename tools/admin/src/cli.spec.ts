import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@mfa/crypto';
import { COMMAND_GROUPS, runCli } from './cli';
import type { Env } from './command';

// The command line itself: help, usage errors, environment errors. Nothing here needs a server.

async function run(env: Env, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { env, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const ONE_ERROR_LINE = /^mfa-admin: [^\n]+\n$/;
const allCommands = COMMAND_GROUPS.flatMap((group) => group.commands.map((command) => [group.name, command.name]));

describe('mfa-admin command line', () => {
  let dataDir: string;
  let env: Env;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mfa-admin-cli-'));
    env = { DATABASE_URL: `sqlite:${join(dataDir, 'mfa.sqlite')}`, MFA_DATA_DIR: dataDir };
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('--help lists every command and exits 0', async () => {
    const result = await run(env, '--help');

    expect(result.code).toBe(0);
    for (const [group, command] of allCommands) expect(result.stdout).toContain(`  ${group} ${command} `);
  });

  it.each(allCommands)('%s %s --help shows its usage and exits 0', async (group, command) => {
    const result = await run(env, group, command, '--help');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Usage: mfa-admin ${group} ${command}`));
  });

  it.each([
    [['nonsense'], 'mfa-admin: unknown command "nonsense" (see mfa-admin --help)\n'],
    [['tenant', 'delete'], 'mfa-admin: unknown command "tenant delete" (tenant has: create, list, revoke)\n'],
    [['tenant'], 'mfa-admin: tenant needs a subcommand: create, list, revoke\n'],
    [['tenant', 'create'], 'mfa-admin: tenant create needs --name\n'],
    [['tenant', 'create', '--name', ''], 'mfa-admin: tenant create: --name must not be empty\n'],
    [['tenant', 'create', '--nme', 'acme'], "mfa-admin: tenant create: Unknown option '--nme'\n"],
    [['tenant', 'list', 'extra'], "mfa-admin: tenant list: Unexpected argument 'extra'\n"],
  ])('%j is a usage error: exit 2 and one line', async (argv, message) => {
    const result = await run(env, ...argv);

    expect(result).toEqual({ code: 2, stdout: '', stderr: message });
  });

  it('without arguments prints the overview on stderr and exits 2', async () => {
    const result = await run(env);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: mfa-admin <command>');
  });

  it('keys rotate without MFA_ENCRYPTION_KEYS or a development key file fails with one clear line', async () => {
    const result = await run({ ...env, MFA_DATA_DIR: join(dataDir, 'empty') }, 'keys', 'rotate');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(ONE_ERROR_LINE);
    expect(result.stderr).toContain('MFA_ENCRYPTION_KEYS is not set and there is no development key file');
  });

  it('keys rotate in production requires MFA_ENCRYPTION_KEYS even when a development key file exists', async () => {
    writeFileSync(join(dataDir, 'encryption-keys'), `${Keyring.generateSpec('dev1')}\n`);

    const result = await run({ ...env, NODE_ENV: 'production' }, 'keys', 'rotate');

    expect(result).toMatchObject({ code: 1, stderr: 'mfa-admin: MFA_ENCRYPTION_KEYS is required when NODE_ENV=production\n' });
  });

  it('keys rotate in development uses the key file the gateway generated', async () => {
    writeFileSync(join(dataDir, 'encryption-keys'), `${Keyring.generateSpec('dev1')}\n`);

    const result = await run(env, 'keys', 'rotate');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('re-encrypted with key "dev1"');
  });

  it('a malformed MFA_ENCRYPTION_KEYS is reported without echoing the value', async () => {
    const result = await run({ ...env, MFA_ENCRYPTION_KEYS: 'k1:not-a-32-byte-key' }, 'keys', 'rotate');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(ONE_ERROR_LINE);
    expect(result.stderr).not.toContain('not-a-32-byte-key');
  });

  it('an unreachable database fails with one line that does not show the password in DATABASE_URL', async () => {
    const result = await run({ DATABASE_URL: 'postgres://admin:s3cret-pw@127.0.0.1:1/mfa' }, 'tenant', 'list');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^mfa-admin: cannot open the database \(DATABASE_URL\): [^\n]+\n$/);
    expect(result.stderr).not.toContain('s3cret-pw');
  });

  it('an unsupported DATABASE_URL and a missing one in production are one-line errors', async () => {
    expect(await run({ DATABASE_URL: 'mysql://x' }, 'tenant', 'list')).toMatchObject({ code: 1, stderr: expect.stringMatching(ONE_ERROR_LINE) });
    expect(await run({ NODE_ENV: 'production' }, 'tenant', 'list')).toMatchObject({ code: 1, stderr: 'mfa-admin: DATABASE_URL is required when NODE_ENV=production\n' });
  });

  it('the launcher tells the user to build when the compiled CLI is missing', () => {
    const bin = join(dataDir, 'checkout', 'tools', 'admin', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(join(__dirname, '..', 'bin', 'mfa-admin.js'), join(bin, 'mfa-admin.js'));

    const result = spawnSync(process.execPath, [join(bin, 'mfa-admin.js'), '--help'], { encoding: 'utf8' });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe('mfa-admin: not built yet, run `npm run build` first\n');
  });
});
