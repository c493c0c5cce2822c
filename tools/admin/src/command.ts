import type { ParsedOptions } from './cli-args';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where a command writes; `process.stdout` fits, and tests pass a collector. */
export interface Output {
  write(text: string): unknown;
}

export interface CommandContext {
  env: Env;
  stdout: Output;
  stderr: Output;
}

export interface OptionSpec {
  name: string;
  /** Shown in help, e.g. `NAME` in `--name NAME`. */
  placeholder: string;
  description: string;
}

export interface Command {
  name: string;
  summary: string;
  /** The options part of the usage line, e.g. `--name NAME`. */
  usage: string;
  options: readonly OptionSpec[];
  run(options: ParsedOptions, context: CommandContext): Promise<void>;
}

export interface CommandGroup {
  name: string;
  commands: readonly Command[];
}

/** A failure the operator can act on: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The command line itself is wrong: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
