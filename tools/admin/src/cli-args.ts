import { parseArgs } from 'node:util';
import { type OptionSpec, UsageError } from './command';

/** A command's `--option value` pairs, after parsing. */
export class ParsedOptions {
  constructor(
    private readonly values: Readonly<Record<string, string | undefined>>,
    private readonly commandName: string,
  ) {}

  optional(name: string): string | undefined {
    return this.values[name];
  }

  required(name: string): string {
    const value = this.values[name];
    if (value === undefined) throw new UsageError(`${this.commandName} needs --${name}`);
    return value;
  }
}

export interface ParsedCommandLine {
  help: boolean;
  options: ParsedOptions;
}

/** Strict parsing: unknown options, positionals, empty or missing values are usage errors. */
export function parseCommandArgs(commandName: string, specs: readonly OptionSpec[], args: readonly string[]): ParsedCommandLine {
  const config = Object.fromEntries(specs.map((spec) => [spec.name, { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...config, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`${commandName}: ${(error as Error).message.split('\n')[0].split('. ')[0]}`);
  }
  const { help, ...rest } = parsed.values;
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (typeof value !== 'string') continue;
    if (value.trim() === '') throw new UsageError(`${commandName}: --${name} must not be empty`);
    values[name] = value;
  }
  return { help: help === true, options: new ParsedOptions(values, commandName) };
}
