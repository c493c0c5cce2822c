#!/usr/bin/env node
// Launcher for the compiled CLI; the TypeScript sources are built by `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '../../../dist/tools/admin/src/main.js');
if (!existsSync(main)) {
  process.stderr.write('mfa-admin: not built yet, run `npm run build` first\n');
  process.exit(1);
}
require(main);
