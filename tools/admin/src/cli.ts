import { apiKeyCommands } from './api-key.commands';
import { parseCommandArgs } from './cli-args';
import { type Command, type CommandContext, type CommandGroup, CliError, UsageError } from './command';
import { describeError } from './describe-error';
import { keysCommands } from './keys.commands';
import { tenantCommands } from './tenant.commands';
import { userCommands } from './user.commands';

export const COMMAND_GROUPS: readonly CommandGroup[] = [tenantCommands, apiKeyCommands, keysCommands, userCommands];

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const isHelpFlag = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

function commandList(groups: readonly CommandGroup[]): string[] {
  const lines = groups.flatMap((group) => group.commands.map((c) => [`${group.name} ${c.name}`, c.summary]));
  const width = Math.max(...lines.map(([name]) => name.length));
  return lines.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
}

function overview(): string {
  return [
    'Usage: mfa-admin <command> [options]',
    '',
    'Administers the MFA gateway\'s database: tenants, API keys, encryption keys, user lockouts.',
    '',
    'Commands:',
    ...commandList(COMMAND_GROUPS),
    '',
    'Environment (as the gateway reads it):',
    '  DATABASE_URL         sqlite:<file> or postgres://… (default sqlite:$MFA_DATA_DIR/mfa.sqlite)',
    '  MFA_DATA_DIR         development data directory (default .data)',
    '  MFA_ENCRYPTION_KEYS  kid:base64key[,…], the first one encrypts (keys rotate only;',
    '                       in development defaults to $MFA_DATA_DIR/encryption-keys)',
    '  MFA_ADMIN_DEBUG      set to print the stack of an unexpected error',
    '',
    'Run "mfa-admin <command> --help" for a command\'s options.',
    '',
  ].join('\n');
}

function groupHelp(group: CommandGroup): string {
  return [`Usage: mfa-admin ${group.name} <command> [options]`, '', 'Commands:', ...commandList([group]), ''].join('\n');
}

function commandHelp(group: CommandGroup, command: Command): string {
  const options = [...command.options.map((o) => [`--${o.name} ${o.placeholder}`, o.description]), ['-h, --help', 'show this help']];
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [
    `Usage: mfa-admin ${group.name} ${command.name} ${command.usage}`.trimEnd(),
    '',
    `${command.summary}.`,
    '',
    'Options:',
    ...options.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    '',
  ].join('\n');
}

function findGroup(name: string): CommandGroup {
  const group = COMMAND_GROUPS.find((g) => g.name === name);
  if (!group) throw new UsageError(`unknown command "${name}" (see mfa-admin --help)`);
  return group;
}

function findCommand(group: CommandGroup, name: string | undefined): Command {
  const names = group.commands.map((c) => c.name).join(', ');
  const command = group.commands.find((c) => c.name === name);
  if (command) return command;
  throw new UsageError(name === undefined
    ? `${group.name} needs a subcommand: ${names}`
    : `unknown command "${group.name} ${name}" (${group.name} has: ${names})`);
}

/**
 * Runs one command line and returns the exit code: 0 done, 1 failed, 2 bad command line.
 * Errors become one line on stderr, never a stack trace.
 */
export async function runCli(argv: readonly string[], context: CommandContext): Promise<number> {
  const [groupName, commandName, ...args] = argv;
  if (isHelpFlag(groupName) || groupName === 'help') {
    context.stdout.write(overview());
    return EXIT_OK;
  }
  if (groupName === undefined) {
    context.stderr.write(overview());
    return EXIT_USAGE;
  }
  try {
    const group = findGroup(groupName);
    if (isHelpFlag(commandName)) {
      context.stdout.write(groupHelp(group));
      return EXIT_OK;
    }
    const command = findCommand(group, commandName);
    const parsed = parseCommandArgs(`${group.name} ${command.name}`, command.options, args);
    if (parsed.help) {
      context.stdout.write(commandHelp(group, command));
      return EXIT_OK;
    }
    await command.run(parsed.options, context);
    return EXIT_OK;
  } catch (error) {
    context.stderr.write(`mfa-admin: ${describeError(error)}\n`);
    if (error instanceof UsageError) return EXIT_USAGE;
    if (!(error instanceof CliError) && context.env.MFA_ADMIN_DEBUG) context.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return EXIT_FAILURE;
  }
}
