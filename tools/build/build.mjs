// Compiles every app, lib and tool into dist/ (one tsc program, incremental) and rewrites the
// @mfa/* path aliases into relative requires so plain `node dist/...` runs the output.
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const run = (bin, args) => execFileSync(process.execPath, [require.resolve(bin), ...args], { stdio: 'inherit' });

run('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
run('tsc-alias/dist/bin/index.js', ['-p', 'tsconfig.build.json']);
cpSync('libs/contracts/proto', 'dist/libs/contracts/proto', { recursive: true });
