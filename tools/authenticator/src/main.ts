import { createInterface } from 'node:readline';
import { runCli } from './cli';

/** `authenticator <command>`: see cli.ts for the commands, README.md for a walkthrough. */
async function main(argv: string[]): Promise<void> {
  const controller = new AbortController();
  // Only `watch` reads stdin; opening it for the other commands would keep them waiting.
  const lines = argv[0] === 'watch' ? createInterface({ input: process.stdin, terminal: false }) : undefined;
  // Ctrl-C ends `watch` cleanly: the poll stops and a pending read returns "done".
  if (lines) {
    process.once('SIGINT', () => {
      controller.abort();
      lines.close();
    });
  }
  const code = await runCli(argv, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    input: lines?.[Symbol.asyncIterator](),
    signal: controller.signal,
  });
  lines?.close();
  process.exitCode = code;
}

void main(process.argv.slice(2));
