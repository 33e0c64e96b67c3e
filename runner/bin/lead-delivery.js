#!/usr/bin/env node
// Thin launcher: the runner is compiled by `npm run build` (runner/tsconfig.json) into runner/dist.
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'runner', 'src', 'cli.js');
if (!fs.existsSync(entry)) {
  console.error(
    'lead-delivery: the runner is not built yet. Run `npm run build` at the repository root first.',
  );
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  })
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
