import 'reflect-metadata';
import { runCli } from './cli';

// Entry point of bin/mfa-admin.js once built; the commands themselves live in cli.ts.
void runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
