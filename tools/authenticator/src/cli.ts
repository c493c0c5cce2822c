import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AuthenticatorError, DeviceApiError, type Fetch } from '@mfa/authenticator-sdk';
import { approveCommand, CommandError, denyCommand, enrollCommand, listCommand, showCommand, UsageError, watchCommand, type CommandContext } from './commands';
import { JsonFileDeviceStore } from './json-file-device-store';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Lines typed on stdin, for `watch`. */
  input?: AsyncIterator<string>;
  signal?: AbortSignal;
  fetch?: Fetch;
}

const STORE_HELP = '  --store FILE   where the device key is kept (default ~/.mfa-authenticator.json, mode 0600)';

const USAGE = `usage: authenticator <command> [options]

A command-line push authenticator for the MFA gateway (API.md §2), built on @mfa/authenticator-sdk.

commands:
  enroll <uri> [--name N]      enroll this machine from the mfa-push://enroll?… URI
  list                         pending sign-in requests with their context
  show <id>                    one sign-in request
  approve <id> [--number NN]   approve; NN is the number on the login screen
  deny <id> [--fraud]          deny; --fraud reports "this wasn't me" and locks the account
  watch [--interval S]         wait for sign-in requests and answer them as they arrive

options for every command:
${STORE_HELP}
  -h, --help     help for a command`;

interface CommandSpec {
  usage: string;
  positionals: string[];
  options: NonNullable<ParseArgsConfig['options']>;
}

const COMMANDS: Record<string, CommandSpec> = {
  enroll: {
    usage: 'usage: authenticator enroll <uri> [--name N] [--store FILE]\n\nEnrolls this machine as a push device from the enrollment URI (printed by the gateway with its QR code).\n  --name N       the device name the user sees (default "authenticator on <hostname>")',
    positionals: ['uri'],
    options: { name: { type: 'string' } },
  },
  list: { usage: 'usage: authenticator list [--store FILE]\n\nLists pending sign-in requests with the application, action, IP, location and browser.', positionals: [], options: {} },
  show: { usage: 'usage: authenticator show <id> [--store FILE]\n\nShows one sign-in request and its status.', positionals: ['id'], options: {} },
  approve: {
    usage: 'usage: authenticator approve <id> [--number NN] [--store FILE]\n\nApproves a sign-in request.\n  --number NN    the number shown on the login screen (required when number matching is on;\n                 a wrong number uses up one attempt)',
    positionals: ['id'],
    options: { number: { type: 'string' } },
  },
  deny: {
    usage: 'usage: authenticator deny <id> [--fraud] [--store FILE]\n\nDenies a sign-in request.\n  --fraud        "this wasn\'t me": also locks the account at once',
    positionals: ['id'],
    options: { fraud: { type: 'boolean' } },
  },
  watch: {
    usage: 'usage: authenticator watch [--interval S] [--store FILE]\n\nPolls for sign-in requests, prints each new one with its context and reads the answer from stdin:\n  a NN  approve with the number on the login screen (just "a" without number matching)\n  d     deny\n  f     deny: this wasn\'t me (locks the account)\n  s     skip\n  --interval S   seconds between polls (default 3)',
    positionals: [],
    options: { interval: { type: 'string' } },
  },
};

function defaultStorePath(): string {
  return join(homedir(), '.mfa-authenticator.json');
}

function describe(error: unknown): string {
  if (error instanceof DeviceApiError) return `${error.message} (HTTP ${error.status} ${error.code})`;
  if (error instanceof AuthenticatorError || error instanceof CommandError) return error.message;
  // By name, not instanceof: fetch's TypeError may come from another realm (a test VM, say).
  if ((error as Error | null)?.name === 'TypeError' && (error as Error).message === 'fetch failed') {
    const cause = (error as { cause?: { message?: string } }).cause;
    return `cannot reach the gateway${cause?.message ? `: ${cause.message}` : ''}`;
  }
  return typeof (error as Error | null)?.message === 'string' ? (error as Error).message : String(error);
}

/** Runs one command line; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.err : io.out)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const spec = COMMANDS[name];
  if (!spec) {
    io.err(`authenticator: unknown command "${name}" (see authenticator --help)`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { ...spec.options, store: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
    if (values.help) {
      io.out(`${spec.usage}\n${STORE_HELP}`);
      return 0;
    }
    if (positionals.length !== spec.positionals.length) {
      throw new UsageError(spec.positionals.length === 0 ? `${name} takes no arguments` : `${name} needs <${spec.positionals.join('> <')}>`);
    }
  } catch (error) {
    io.err(`authenticator: ${(error as Error).message.split('\n')[0]}`);
    io.err(spec.usage.split('\n')[0]);
    return 2;
  }

  const storeName = typeof values.store === 'string' ? values.store : defaultStorePath();
  const ctx: CommandContext = { store: new JsonFileDeviceStore(storeName), storeName, out: io.out, fetch: io.fetch };
  try {
    switch (name) {
      case 'enroll':
        await enrollCommand(ctx, positionals[0], { name: values.name as string | undefined });
        break;
      case 'list':
        await listCommand(ctx);
        break;
      case 'show':
        await showCommand(ctx, positionals[0]);
        break;
      case 'approve':
        await approveCommand(ctx, positionals[0], { number: values.number as string | undefined });
        break;
      case 'deny':
        await denyCommand(ctx, positionals[0], { fraud: values.fraud === true });
        break;
      case 'watch': {
        const seconds = values.interval === undefined ? 3 : Number(values.interval);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--interval must be a positive number of seconds');
        if (!io.input) throw new CommandError('watch needs an input to read answers from');
        await watchCommand({ ...ctx, input: io.input, signal: io.signal }, { intervalMs: seconds * 1000 });
        break;
      }
    }
    return 0;
  } catch (error) {
    io.err(`authenticator: ${describe(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
